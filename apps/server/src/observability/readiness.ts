import * as Duration from 'effect/Duration';
import * as Effect from 'effect/Effect';
import type { DocumentStore } from '../storage/DocumentStore.js';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly storage: 'up' | 'down';
  readonly redis: 'up' | 'down' | 'not configured';
}

/** A storage probe slower than this counts as down: a load balancer should stop sending traffic. */
const probeTimeout = Duration.seconds(2);
/** An id no document has ([D3] ids have no dot), read to prove the storage answers. */
const probeId = 'readiness.probe';

/**
 * Whether this instance can serve [O1]: its storage answers a read, and Redis, when configured, is
 * connected (without it this instance would serve stale documents to its clients until the next check).
 */
export function makeReadiness(
  store: DocumentStore['Service'],
  redisUp: (() => boolean) | undefined,
): () => Promise<ReadinessReport> {
  return async () => {
    const storageUp = await Effect.runPromise(
      store.loadSnapshot(probeId).pipe(
        Effect.timeout(probeTimeout),
        Effect.as(true),
        Effect.catchCause(() => Effect.succeed(false)),
      ),
    );
    const redis = redisUp === undefined ? 'not configured' : redisUp() ? 'up' : 'down';
    return { ready: storageUp && redis !== 'down', storage: storageUp ? 'up' : 'down', redis };
  };
}
