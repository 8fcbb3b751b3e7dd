import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
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
      // Every method but `close` is a storage call: timed under its own name, so new ones are covered too.
      const calls = Object.fromEntries(
        Object.entries(store).map(([operation, method]) => [
          operation,
          operation === 'close'
            ? method
            : (...args: never[]) =>
                timed(
                  operation,
                  (method as (...a: never[]) => Effect.Effect<unknown, { _tag: string }>)(...args),
                ),
        ]),
      ) as unknown as DocumentStore['Service'];
      return DocumentStore.of({
        ...calls,
        appendOp: (op) =>
          calls.appendOp(op).pipe(Effect.tap(() => Effect.sync(() => metrics.committedOps.inc()))),
      });
    }),
  );
