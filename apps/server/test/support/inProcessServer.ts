import type { AddressInfo } from 'node:net';
import { makeApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createAppServer } from '../../src/http/server.js';
import * as SqliteStore from '../../src/storage/sqlite/SqliteStore.js';
import { type FaultPlan, withFaults } from './faultyStore.js';

/** The real server (HTTP, tRPC, legacy socket) in this process, on a SQLite file whose calls can fail. */
export interface FaultyServer {
  readonly port: number;
  /** `http://127.0.0.1:port` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:port/trpc` */
  readonly wsUrl: string;
  /** Chooses which storage calls fail next. */
  readonly faults: FaultPlan;
  stop(): Promise<void>;
}

/**
 * Starts the server as `main.ts` does, but in this process and with its SQLite store wrapped by
 * `withFaults`, so a test can make chosen storage calls fail as busy or throttled.
 */
export async function startFaultyServer(
  sqlitePath: string,
  env: Record<string, string> = {},
): Promise<FaultyServer> {
  const config = parseConfig({ SQLITE_PATH: sqlitePath, HOST: '127.0.0.1', PORT: '0', ...env });
  const { layer, plan } = withFaults(SqliteStore.layer({ path: sqlitePath }));
  const app = makeApp(config, layer);
  const [services, observability] = await Promise.all([app.services, app.observability]);
  const http = createAppServer({ config, services, observability, web: undefined });
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = http.server.address() as AddressInfo;
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/trpc`,
    faults: plan,
    async stop() {
      await http.beginShutdown();
      await app.runtime.dispose();
    },
  };
}
