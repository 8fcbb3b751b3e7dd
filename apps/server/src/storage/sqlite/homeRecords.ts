import { eq, inArray, or } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as Effect from 'effect/Effect';
import { StorageFailure } from '../DocumentStore.js';
import type { HomeRecordStore } from '../HomeRecords.js';
import * as schema from './schema.js';

function attempt<A>(operation: string, run: () => A): Effect.Effect<A, StorageFailure> {
  return Effect.try({
    try: run,
    catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
  });
}

/** The documents home in the SQLite database [H3]: the entries the principal owns or visited, one query. */
export function sqliteHomeRecords(db: BetterSQLite3Database<typeof schema>): HomeRecordStore {
  const { documentEntries, documentVisits, documents, documentOps } = schema;
  return {
    loadEntry: (docId) =>
      attempt('loadEntry', () =>
        db.select().from(documentEntries).where(eq(documentEntries.docId, docId)).get(),
      ),
    createEntry: (entry) =>
      attempt('createEntry', () => db.insert(documentEntries).values(entry).onConflictDoNothing().run()).pipe(
        Effect.asVoid,
      ),
    updateEntry: (docId, change) =>
      Object.keys(change).length === 0
        ? Effect.void
        : attempt('updateEntry', () =>
            db.update(documentEntries).set(change).where(eq(documentEntries.docId, docId)).run(),
          ).pipe(Effect.asVoid),
    recordVisit: (principalId, docId, at) =>
      attempt('recordVisit', () =>
        db
          .insert(documentVisits)
          .values({ principalId, docId, openedAt: at })
          .onConflictDoUpdate({
            target: [documentVisits.principalId, documentVisits.docId],
            set: { openedAt: at },
          })
          .run(),
      ).pipe(Effect.asVoid),
    listEntries: (principalId) =>
      attempt('listEntries', () =>
        db
          .select()
          .from(documentEntries)
          .where(
            or(
              eq(documentEntries.ownerId, principalId),
              inArray(
                documentEntries.docId,
                db
                  .select({ docId: documentVisits.docId })
                  .from(documentVisits)
                  .where(eq(documentVisits.principalId, principalId)),
              ),
            ),
          )
          .all(),
      ),
    deleteContents: (docId) =>
      attempt('deleteContents', () =>
        db.transaction((tx) => {
          tx.delete(documentOps).where(eq(documentOps.docId, docId)).run();
          tx.delete(documents).where(eq(documents.id, docId)).run();
        }),
      ),
  };
}
