import { createCollabClient } from '@collab/client';
import { type ServerProcess, startServer, type TempDir, tempDir } from '@collab/server/testing';
import WebSocket from 'ws';

/** The production server (with the web app's build mounted), on a free port with a fresh SQLite file. */
export interface AppServer {
  readonly server: ServerProcess;
  readonly baseURL: string;
  /** The typed API, for checking what the server stores. */
  readonly api: ReturnType<typeof createCollabClient>['api'];
  stop(): Promise<void>;
}

export async function startAppServer(): Promise<AppServer> {
  const dir: TempDir = await tempDir();
  const server = await startServer({ env: { SQLITE_PATH: `${dir.path}/collab.sqlite` } });
  const client = createCollabClient({ url: server.wsUrl, WebSocket });
  const baseURL = server.httpUrl;
  const home = await fetch(`${baseURL}/`);
  if (!home.ok || !(await home.text()).includes('Collab Docs')) {
    await server.stop();
    throw new Error('the server does not serve the web app: build it first (`pnpm run build` at the root)');
  }
  return {
    server,
    baseURL,
    api: client.api,
    async stop() {
      client.close();
      await server.stop();
      await dir.remove();
    },
  };
}
