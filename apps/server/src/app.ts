import { Effect, Layer, ManagedRuntime } from 'effect';
import { Broadcast } from './broadcast/Broadcast.js';
import { type AppConfig, Config } from './config.js';
import { PresenceHub } from './presence/PresenceHub.js';
import { DocumentSessions } from './sessions/DocumentSessions.js';
import type { DocumentStore, StorageFailure } from './storage/DocumentStore.js';
import * as SqliteStore from './storage/sqlite/SqliteStore.js';

/** The services the transports (tRPC, REST, legacy socket) call. */
export interface AppServices {
  readonly sessions: DocumentSessions['Service'];
  readonly presence: PresenceHub['Service'];
}

function storageLayer(config: AppConfig): Layer.Layer<DocumentStore, StorageFailure> {
  switch (config.storage.kind) {
    case 'sqlite':
      return SqliteStore.layer({ path: config.storage.path });
    case 'dynamodb':
      throw new Error('STORAGE=dynamodb is not available yet');
  }
}

function broadcastLayer(_config: AppConfig): Layer.Layer<Broadcast> {
  return Broadcast.single;
}

/** Picks the layers the configuration asks for and wires them into one runtime. */
export function makeApp(config: AppConfig) {
  const infrastructure = Layer.mergeAll(storageLayer(config), broadcastLayer(config));
  const layer = Layer.mergeAll(DocumentSessions.layer, PresenceHub.layer).pipe(
    Layer.provideMerge(infrastructure),
    Layer.provideMerge(Layer.succeed(Config, config)),
  );
  const runtime = ManagedRuntime.make(layer);
  const services = runtime.runPromise(
    Effect.gen(function* () {
      const sessions = yield* DocumentSessions;
      const presence = yield* PresenceHub;
      return { sessions, presence } satisfies AppServices;
    }),
  );
  return { runtime, services };
}
