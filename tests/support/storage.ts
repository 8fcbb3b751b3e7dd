import { startDynamoDbLocal, tempDir } from '@collab/server/testing';

export type StorageKind = 'sqlite' | 'dynamodb';

/** A database for server processes under test: a temp SQLite folder, or DynamoDB Local. */
export interface TestStorage {
  readonly kind: StorageKind;
  /** The server environment selecting this storage; `name` keeps SQLite files apart. */
  env(name: string): Record<string, string>;
  stop(): Promise<void>;
}

/** Both adapters: suites that must hold on every storage run once per kind [§5]. */
export const storageKinds: readonly StorageKind[] = ['sqlite', 'dynamodb'];

export async function startStorage(kind: StorageKind): Promise<TestStorage> {
  if (kind === 'sqlite') {
    const dir = await tempDir();
    return { kind, env: (name) => ({ SQLITE_PATH: `${dir.path}/${name}.sqlite` }), stop: () => dir.remove() };
  }
  const dynamo = await startDynamoDbLocal();
  return {
    kind,
    env: () => ({
      STORAGE: 'dynamodb',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DYNAMODB_CREATE_TABLES: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    }),
    stop: () => dynamo.stop(),
  };
}
