import { Effect, Layer } from 'effect';
import { DocumentStore, StorageFailure } from '../../src/storage/DocumentStore.js';

/** A storage call that can be made to fail. */
export type StoreOperation = 'appendOp' | 'readOps' | 'loadSnapshot' | 'saveSnapshot';

/** What a SQLite store reports when its write lock stays taken, or DynamoDB when it throttles. */
export type TransientFault = 'busy' | 'throttled';

/** Chooses which calls of a wrapped store fail, and counts them. */
export interface FaultPlan {
  /** The next `count` calls of `operation` fail as `fault` (retryable), before reaching the store. */
  failNext(operation: StoreOperation, count: number, fault?: TransientFault): void;
  /** How many calls failed so far. */
  readonly injected: number;
}

function causeOf(fault: TransientFault): Error {
  return fault === 'busy'
    ? Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    : Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
        name: 'ProvisionedThroughputExceededException',
      });
}

/**
 * Wraps the real store a layer provides so that chosen calls fail exactly as a busy SQLite file or a
 * throttled DynamoDB table makes them fail (`StorageFailure` with `retryable`); every other call goes
 * through to the real store.
 */
export function withFaults<E>(store: Layer.Layer<DocumentStore, E>): {
  layer: Layer.Layer<DocumentStore, E>;
  plan: FaultPlan;
} {
  const due = new Map<StoreOperation, { count: number; fault: TransientFault }>();
  let injected = 0;
  const plan: FaultPlan = {
    failNext(operation, count, fault = 'busy') {
      due.set(operation, { count, fault });
    },
    get injected() {
      return injected;
    },
  };
  const fail = <A, E2>(operation: StoreOperation, call: () => Effect.Effect<A, E2>) =>
    Effect.suspend((): Effect.Effect<A, E2 | StorageFailure> => {
      const next = due.get(operation);
      if (next === undefined || next.count <= 0) return call();
      next.count--;
      injected++;
      return Effect.fail(new StorageFailure({ operation, retryable: true, cause: causeOf(next.fault) }));
    });
  const layer = Layer.effect(
    DocumentStore,
    Effect.gen(function* () {
      const real = yield* DocumentStore;
      return DocumentStore.of({
        ...real,
        appendOp: (op) => fail('appendOp', () => real.appendOp(op)),
        readOps: (...args) => fail('readOps', () => real.readOps(...args)),
        loadSnapshot: (docId) => fail('loadSnapshot', () => real.loadSnapshot(docId)),
        saveSnapshot: (snapshot) => fail('saveSnapshot', () => real.saveSnapshot(snapshot)),
      });
    }),
  ).pipe(Layer.provide(store));
  return { layer, plan };
}
