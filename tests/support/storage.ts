import { dynamoDbServerEnv, startDynamoDbLocal, tempDir } from '@collab/server/testing';

export type StorageKind = 'sqlite' | 'dynamodb';

/** A database for server processes under test: a temp SQLite folder, or DynamoDB Local. */
export interface TestStorage {
  readonly kind: StorageKind;
  /**
   * The server environment selecting this storage; `name` keeps SQLite files apart. Servers given the same
   * name share one database (SQLite in WAL mode lets several processes share the file; a lost race surfaces
   * as VersionTaken).
   */
  env(name: string): Record<string, string>;
  stop(): Promise<void>;
}

/** Both adapters: suites that must hold on every storage run once per kind [S8]. */
export const storageKinds: readonly StorageKind[] = ['sqlite', 'dynamodb'];

export async function startStorage(kind: StorageKind): Promise<TestStorage> {
  if (kind === 'sqlite') {
    const dir = await tempDir();
    return {
      kind,
      env: (name) => ({ STORAGE: 'sqlite', SQLITE_PATH: `${dir.path}/${name}.sqlite` }),
      stop: () => dir.remove(),
    };
  }
  const dynamo = await startDynamoDbLocal();
  return { kind, env: () => dynamoDbServerEnv(dynamo.endpoint), stop: () => dynamo.stop() };
}
