import { createCollabClient } from '@collab/client';
import WebSocket from 'ws';
import { type ServerProcess, startServer } from '../../support/server.js';
import { type StorageKind, startStorage } from '../../support/storage.js';

/** The production server (with the web app's build mounted), on a free port with a fresh database. */
export interface AppServer {
  readonly server: ServerProcess;
  readonly baseURL: string;
  /** The typed API, for checking what the server stores. */
  readonly api: ReturnType<typeof createCollabClient>['api'];
  stop(): Promise<void>;
}

export async function startAppServer(
  kind: StorageKind = 'sqlite',
  env: Readonly<Record<string, string>> = {},
): Promise<AppServer> {
  const storage = await startStorage(kind);
  const server = await startServer({ env: { ...storage.env('app'), ...env } }).catch(
    async (error: unknown) => {
      await storage.stop();
      throw error;
    },
  );
  const stopAndRemove = async () => {
    await server.stop();
    await storage.stop();
  };
  const baseURL = server.httpUrl;
  const home = await fetch(`${baseURL}/`);
  if (!home.ok || !(await home.text()).includes('Collab Docs')) {
    await stopAndRemove();
    throw new Error('the server does not serve the web app: build it first (`pnpm run build` at the root)');
  }
  const client = createCollabClient({ url: server.wsUrl, WebSocket });
  return {
    server,
    baseURL,
    api: client.api,
    async stop() {
      client.close();
      await stopAndRemove();
    },
  };
}
