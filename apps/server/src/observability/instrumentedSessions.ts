import * as Effect from 'effect/Effect';
import type { DocumentSessions } from '../sessions/DocumentSessions.js';
import type { Metrics } from './metrics.js';

type Sessions = DocumentSessions['Service'];

/** Tag of an expected failure, for labels; anything else is `Internal`. */
const tagOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && '_tag' in error && typeof error._tag === 'string'
    ? error._tag
    : 'Internal';

/** Times commits and counts open streams around the sessions service, for every transport alike [O1]. */
export function instrumentedSessions(sessions: Sessions, metrics: Metrics): Sessions {
  const timedCommit = <A, E>(operation: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const end = metrics.commitDuration.startTimer({ operation });
      return effect.pipe(
        Effect.tap(() => Effect.sync(() => end({ outcome: 'committed' }))),
        Effect.tapError((error) => Effect.sync(() => end({ outcome: tagOf(error) }))),
      );
    });
  return {
    ...sessions,
    submit: (id, request) => timedCommit('submit', sessions.submit(id, request)),
    replace: (id, delta, clientId) => timedCommit('replace', sessions.replace(id, delta, clientId)),
    lease: (id) =>
      sessions.lease(id).pipe(
        Effect.map((lease) => {
          metrics.streams.inc();
          let released = false;
          return {
            session: lease.session,
            release: () => {
              if (!released) metrics.streams.dec();
              released = true;
              lease.release();
            },
          };
        }),
      ),
  };
}
