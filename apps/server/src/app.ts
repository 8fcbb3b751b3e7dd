import { Effect, Layer, ManagedRuntime } from 'effect';
import { AccessControl } from './access/AccessControl.js';
import { Broadcast } from './broadcast/Broadcast.js';
import * as RedisBroadcast from './broadcast/RedisBroadcast.js';
import { type AppConfig, Config } from './config.js';
import { Home } from './home/Home.js';
import { PresenceHub } from './presence/PresenceHub.js';
import { DocumentSessions } from './sessions/DocumentSessions.js';
import {
  type DocumentStore,
  DynamoStore,
  type DynamoTableError,
  SqliteStore,
  type StorageFailure,
} from './storage/index.js';

/** The services the transports (tRPC, REST, legacy socket) call. */
export interface AppServices {
  readonly sessions: DocumentSessions['Service'];
  readonly presence: PresenceHub['Service'];
  readonly access: AccessControl['Service'];
  readonly home: Home['Service'];
}

function storageLayer(config: AppConfig): Layer.Layer<DocumentStore, StorageFailure | DynamoTableError> {
  const storage = config.storage;
  switch (storage.kind) {
    case 'sqlite':
      return SqliteStore.layer({ path: storage.path });
    case 'dynamodb':
      // Credentials come from the SDK's default chain: an IAM role on AWS, or AWS_ACCESS_KEY_ID/SECRET.
      return DynamoStore.layer({
        region: storage.region,
        ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
        documentsTable: storage.documentsTable,
        opsTable: storage.opsTable,
        createTables: storage.createTables,
      });
  }
}

/** Redis pub/sub between instances when `REDIS_URL` is set [S4]; otherwise a single instance. */
function broadcastLayer(config: AppConfig): Layer.Layer<Broadcast> {
  return config.redis
    ? RedisBroadcast.layer({ url: config.redis.url, prefix: config.redis.prefix })
    : Broadcast.single;
}

/** Picks the layers the configuration asks for and wires them into one runtime. */
export function makeApp(config: AppConfig) {
  const infrastructure = Layer.mergeAll(storageLayer(config), broadcastLayer(config));
  const layer = Home.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(DocumentSessions.layer, PresenceHub.layer, AccessControl.layer)),
    Layer.provideMerge(infrastructure),
    Layer.provideMerge(Layer.succeed(Config, config)),
  );
  const runtime = ManagedRuntime.make(layer);
  const services = runtime.runPromise(
    Effect.gen(function* () {
      const sessions = yield* DocumentSessions;
      const presence = yield* PresenceHub;
      const access = yield* AccessControl;
      const home = yield* Home;
      return { sessions, presence, access, home } satisfies AppServices;
    }),
  );
  return { runtime, services };
}
