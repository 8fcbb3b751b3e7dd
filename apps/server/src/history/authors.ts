import { authorIdOf, type HistoryAuthor, type PresenceUser } from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
import { log } from '../log.js';
import { DocumentStore, type StorageFailure } from '../storage/DocumentStore.js';

/** How an author nobody has named shows in history [H1]. */
export const anonymousAuthor = { name: 'Anonymous', color: '#80868b' } as const;

/** Profiles this process last wrote or read, so a presence refresh with an unchanged name writes nothing. */
const cacheSize = 10_000;

/**
 * The names and colours authors publish in their presence, kept through the storage adapter so history
 * can show who wrote each version, also after they left [H1].
 */
export class Authors extends Context.Service<
  Authors,
  {
    /**
     * Records the name and colour a client shows; writes only when they changed. A storage failure is
     * logged, never passed on: presence must not fail because history could not note a name.
     */
    remember(clientId: string, user: PresenceUser): Effect.Effect<void>;
    /** Profiles of these authors, in the same order; unknown ones as "Anonymous". */
    profiles(authorIds: readonly string[]): Effect.Effect<HistoryAuthor[], StorageFailure>;
  }
>()('collab/history/Authors') {
  static readonly layer = Layer.effect(
    Authors,
    Effect.gen(function* () {
      const store = yield* DocumentStore;
      const known = new Map<string, { name: string; color: string }>();

      const learn = (authorId: string, profile: { name: string; color: string }) => {
        known.delete(authorId);
        known.set(authorId, { name: profile.name, color: profile.color });
        if (known.size > cacheSize) known.delete(known.keys().next().value as string);
      };

      const remember = (clientId: string, user: PresenceUser) =>
        Effect.gen(function* () {
          const authorId = authorIdOf(clientId);
          let current = known.get(authorId);
          if (current === undefined) {
            const [stored] = yield* store.loadAuthors([authorId]);
            if (stored) learn(authorId, stored);
            current = stored;
          }
          if (current?.name === user.name && current.color === user.color) return;
          const updatedAt = yield* Clock.currentTimeMillis;
          yield* store.saveAuthor({ authorId, name: user.name, color: user.color, updatedAt });
          learn(authorId, user);
        }).pipe(
          Effect.catch((error) =>
            Effect.sync(() =>
              log.warn('could not store an author profile', { authorId: authorIdOf(clientId), error }),
            ),
          ),
        );

      // Read from the store every time: another instance may have stored a newer name.
      const profiles = (authorIds: readonly string[]) =>
        Effect.gen(function* () {
          const stored = new Map((yield* store.loadAuthors(authorIds)).map((p) => [p.authorId, p]));
          return authorIds.map((authorId) => {
            const profile = stored.get(authorId) ?? anonymousAuthor;
            return { authorId, name: profile.name, color: profile.color };
          });
        });

      return Authors.of({ remember, profiles });
    }),
  );
}
