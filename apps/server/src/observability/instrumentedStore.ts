import { Effect, Layer } from 'effect';
import { DocumentStore } from '../storage/DocumentStore.js';
import type { Metrics } from './metrics.js';

/**
 * The configured `DocumentStore` with every call timed and every failure counted [O1]. A successful
 * `appendOp` is an op committed by this instance: the conditional write is the commit point [S1].
 */
export const instrumentedStore = (metrics: Metrics) =>
  Layer.effect(
    DocumentStore,
    Effect.gen(function* () {
      const store = yield* DocumentStore;
      const timed = <A, E extends { readonly _tag: string }>(
        operation: string,
        effect: Effect.Effect<A, E>,
      ): Effect.Effect<A, E> =>
        Effect.suspend(() => {
          const end = metrics.storageDuration.startTimer({ operation });
          return effect.pipe(
            Effect.tap(() => Effect.sync(() => end({ outcome: 'ok' }))),
            Effect.tapError((error) =>
              Effect.sync(() => {
                // Losing the race for a version is the protocol working, not the storage failing.
                const failed = error._tag === 'StorageFailure';
                end({ outcome: failed ? 'failure' : 'conflict' });
                if (failed) metrics.storageFailures.inc({ operation });
              }),
            ),
          );
        });
      return DocumentStore.of({
        createDocument: (snapshot) => timed('createDocument', store.createDocument(snapshot)),
        loadSnapshot: (docId) => timed('loadSnapshot', store.loadSnapshot(docId)),
        saveSnapshot: (snapshot) => timed('saveSnapshot', store.saveSnapshot(snapshot)),
        appendOp: (op) =>
          timed('appendOp', store.appendOp(op)).pipe(
            Effect.tap(() => Effect.sync(() => metrics.committedOps.inc())),
          ),
        readOps: (docId, afterVersion, toVersion, limit) =>
          timed('readOps', store.readOps(docId, afterVersion, toVersion, limit)),
        close: () => store.close(),
      });
    }),
  );
