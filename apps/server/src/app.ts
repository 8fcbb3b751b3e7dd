import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
import * as ManagedRuntime from 'effect/ManagedRuntime';
import { AccessControl } from './access/AccessControl.js';
import { Broadcast } from './broadcast/Broadcast.js';
import { type AppConfig, Config } from './config.js';
import { Authors } from './history/authors.js';
import { History } from './history/History.js';
import { Home } from './home/Home.js';
import { Images } from './images/Images.js';
import {
  createMetrics,
  instrumentedSessions,
  instrumentedStore,
  makeReadiness,
  type Observability,
} from './observability/index.js';
import { PresenceHub } from './presence/PresenceHub.js';
import { DocumentSessions } from './sessions/DocumentSessions.js';
import type { DynamoTableError } from './storage/dynamodb/tables.js';
import { DocumentStore, SqliteStore, type StorageFailure } from './storage/index.js';
import { makeSettle, type Settle } from './transport/settle.js';

/** The services the transports (tRPC, REST, legacy socket) call. */
export interface AppServices {
  readonly sessions: DocumentSessions['Service'];
  readonly presence: PresenceHub['Service'];
  readonly access: AccessControl['Service'];
  readonly history: History['Service'];
  readonly authors: Authors['Service'];
  readonly home: Home['Service'];
  readonly images: Images['Service'];
  /** Runs an effect for a transport on the app's runtime (see `transport/settle.ts`): the one runtime of all. */
  readonly settle: Settle;
}

function storageLayer(config: AppConfig): Layer.Layer<DocumentStore, StorageFailure | DynamoTableError> {
  const storage = config.storage;
  switch (storage.kind) {
    case 'sqlite':
      return SqliteStore.layer({ path: storage.path });
    case 'dynamodb':
      // Loaded only when used: the AWS SDK costs some 20 MB of memory a SQLite server does not need.
      // Credentials come from the SDK's default chain: an IAM role on AWS, or AWS_ACCESS_KEY_ID/SECRET.
      return Layer.unwrap(
        Effect.promise(() => import('./storage/dynamodb/DynamoStore.js')).pipe(
          Effect.map((DynamoStore) =>
            DynamoStore.layer({
              region: storage.region,
              ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
              documentsTable: storage.documentsTable,
              opsTable: storage.opsTable,
              createTables: storage.createTables,
            }),
          ),
        ),
      );
  }
}

/** Redis pub/sub between instances when `REDIS_URL` is set [S4]; otherwise a single instance. */
function broadcastLayer(config: AppConfig): Layer.Layer<Broadcast> {
  const redis = config.redis;
  if (!redis) return Broadcast.single;
  // Loaded only when used, like the AWS SDK: a single instance does not carry the Redis client.
  return Layer.unwrap(
    Effect.promise(() => import('./broadcast/RedisBroadcast.js')).pipe(
      Effect.map((RedisBroadcast) => RedisBroadcast.layer({ url: redis.url, prefix: redis.prefix })),
    ),
  );
}

/**
 * Picks the layers the configuration asks for and wires them into one runtime. `store` replaces the
 * configured storage (tests wrap a real store to inject failures).
 */
export function makeApp(
  config: AppConfig,
  store: Layer.Layer<DocumentStore, StorageFailure | DynamoTableError> = storageLayer(config),
) {
  const metrics = createMetrics();
  const instrumented = instrumentedStore(metrics).pipe(Layer.provide(store));
  const infrastructure = Layer.mergeAll(instrumented, broadcastLayer(config));
  const layer = Layer.mergeAll(History.layer, Home.layer).pipe(
    Layer.provideMerge(
      Layer.mergeAll(DocumentSessions.layer, PresenceHub.layer, AccessControl.layer, Authors.layer),
    ),
    Layer.provideMerge(Images.layer),
    Layer.provideMerge(infrastructure),
    Layer.provideMerge(Layer.succeed(Config, config)),
  );
  const runtime = ManagedRuntime.make(layer);
  const settle = makeSettle(runtime);
  const started = runtime.runPromise(
    Effect.gen(function* () {
      const sessions = instrumentedSessions(yield* DocumentSessions, metrics);
      const presence = yield* PresenceHub;
      const access = yield* AccessControl;
      const history = yield* History;
      const authors = yield* Authors;
      const home = yield* Home;
      const images = yield* Images;
      const redisUp = (yield* Broadcast).isConnected;
      metrics.readFrom({ openDocuments: sessions.loadedCount, redisUp });
      const readiness = makeReadiness(yield* DocumentStore, redisUp);
      return {
        services: {
          sessions,
          presence,
          access,
          history,
          authors,
          home,
          images,
          settle,
        } satisfies AppServices,
        observability: { metrics, readiness } satisfies Observability,
      };
    }),
  );
  const observability = started.then((app) => app.observability);
  // A failed start is reported once, by whoever awaits `services`; this copy of it must not also crash.
  observability.catch(() => {});
  return { runtime, services: started.then((app) => app.services), observability };
}
