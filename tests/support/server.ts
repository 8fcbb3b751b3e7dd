import { type ServerProcess, startServer } from '@collab/server/testing';
import { startStorage } from './storage.js';

export { type ServerProcess, type StartServerOptions, startServer } from '@collab/server/testing';

/** A server process on a SQLite file of its own, in a temp folder. */
export interface SqliteServer extends ServerProcess {
  readonly sqlitePath: string;
  /** Stops the server (SIGTERM) and removes its folder, the file with it. */
  stopAndRemove(): Promise<void>;
}

/** Starts a server on a fresh SQLite file, with `env` on top (limits, timeouts, …). */
export async function startSqliteServer(env: Record<string, string> = {}): Promise<SqliteServer> {
  const storage = await startStorage('sqlite');
  const storageEnv = storage.env('collab');
  try {
    const server = await startServer({ env: { ...storageEnv, ...env } });
    return {
      ...server,
      sqlitePath: storageEnv.SQLITE_PATH as string,
      stopAndRemove: async () => {
        await server.stop();
        await storage.stop();
      },
    };
  } catch (error) {
    await storage.stop();
    throw error;
  }
}
