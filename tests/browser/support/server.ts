import { createCollabClient } from '@collab/client';
import WebSocket from 'ws';
import { type ServerProcess, startSqliteServer } from '../../support/server.js';

/** The production server (with the web app's build mounted), on a free port with a fresh SQLite file. */
export interface AppServer {
  readonly server: ServerProcess;
  readonly baseURL: string;
  /** The typed API, for checking what the server stores. */
  readonly api: ReturnType<typeof createCollabClient>['api'];
  stop(): Promise<void>;
}

export async function startAppServer(): Promise<AppServer> {
  const server = await startSqliteServer();
  const baseURL = server.httpUrl;
  const home = await fetch(`${baseURL}/`);
  if (!home.ok || !(await home.text()).includes('Collab Docs')) {
    await server.stopAndRemove();
    throw new Error('the server does not serve the web app: build it first (`pnpm run build` at the root)');
  }
  const client = createCollabClient({ url: server.wsUrl, WebSocket });
  return {
    server,
    baseURL,
    api: client.api,
    async stop() {
      client.close();
      await server.stopAndRemove();
    },
  };
}
