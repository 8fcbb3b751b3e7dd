import { GeneralAccess } from '@collab/protocol';
import { eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as Effect from 'effect/Effect';
import { AccessAlreadyExists, type AccessRecord, type AccessRecordStore } from '../AccessRecords.js';
import { StorageFailure } from '../DocumentStore.js';
import * as schema from './schema.js';

function attempt<A>(operation: string, run: () => A): Effect.Effect<A, StorageFailure> {
  return Effect.try({
    try: run,
    catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
  });
}

/** Access records and browser sessions in the SQLite database [A1] [A2]. */
export function sqliteAccessRecords(db: BetterSQLite3Database<typeof schema>): AccessRecordStore {
  const { documentAccess, browserSessions } = schema;
  return {
    loadAccess: (docId) =>
      attempt('loadAccess', () => {
        const row = db.select().from(documentAccess).where(eq(documentAccess.docId, docId)).get();
        return row ? { ...row, generalAccess: GeneralAccess.parse(row.generalAccess) } : undefined;
      }),
    createAccess: (record: AccessRecord) =>
      attempt('createAccess', () =>
        db.insert(documentAccess).values(record).onConflictDoNothing().run(),
      ).pipe(
        Effect.flatMap((result) =>
          result.changes === 0 ? Effect.fail(new AccessAlreadyExists({ docId: record.docId })) : Effect.void,
        ),
      ),
    saveAccess: (record) =>
      attempt('saveAccess', () =>
        db
          .insert(documentAccess)
          .values(record)
          .onConflictDoUpdate({ target: documentAccess.docId, set: record })
          .run(),
      ).pipe(Effect.asVoid),
    loadBrowserSession: (secretHash) =>
      attempt('loadBrowserSession', () =>
        db.select().from(browserSessions).where(eq(browserSessions.secretHash, secretHash)).get(),
      ),
    saveBrowserSession: (record) =>
      attempt('saveBrowserSession', () =>
        db
          .insert(browserSessions)
          .values(record)
          .onConflictDoUpdate({ target: browserSessions.secretHash, set: record })
          .run(),
      ).pipe(Effect.asVoid),
  };
}
