import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { and, asc, desc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
import type * as Scope from 'effect/Scope';
import {
  type AuthorProfile,
  DocumentAlreadyExists,
  DocumentStore,
  OpIdTaken,
  type Snapshot,
  StorageFailure,
  VersionTaken,
} from '../DocumentStore.js';
import { decodeDelta, encodeDelta } from '../deltaJson.js';
import { sqliteAccessRecords } from './accessRecords.js';
import { sqliteHomeRecords } from './homeRecords.js';
import { sqliteImageRecords } from './imageRecords.js';
import * as schema from './schema.js';

export interface SqliteStoreOptions {
  /** Database file; its directory is created when missing. `:memory:` gives a private in-memory database. */
  readonly path: string;
  /**
   * `normal` (default): in WAL mode a commit is written to the WAL file before `appendOp` returns, so an
   * acknowledged op survives the process being killed (SIGKILL, OOM, crash); the WAL is fsynced at each
   * checkpoint, so only a power loss or kernel crash can roll back the last commits, never corrupt the file.
   * `full`: fsync the WAL on every commit, so acknowledged ops also survive power loss, at the cost of one
   * fsync per op on the event loop (better-sqlite3 is synchronous). Pick it when the disk is local and
   * the machine can lose power without a replica to fall back on.
   */
  readonly synchronous?: 'normal' | 'full';
  /** How long a writer waits for another connection's write lock before failing with SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
}

/**
 * The committed migrations. `src/storage/sqlite/` and `dist/storage/sqlite/` are at the same depth, so the
 * same relative URL finds `apps/server/drizzle` whether the module runs from source or from the build.
 */
const migrationsFolder = fileURLToPath(new URL('../../../drizzle', import.meta.url));

/** SQLite result codes where the same statement may succeed a moment later. */
function isTransient(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function attempt<A>(operation: string, run: () => A): Effect.Effect<A, StorageFailure> {
  return Effect.try({
    try: run,
    catch: (cause) => new StorageFailure({ operation, retryable: isTransient(cause), cause }),
  });
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

function openDatabase(options: SqliteStoreOptions): Database.Database {
  if (!isInMemory(options.path)) mkdirSync(dirname(options.path), { recursive: true });
  const sqlite = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    applyMigrations(sqlite);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return sqlite;
}

/**
 * drizzle's migrator reads the applied migrations before it opens its transaction, so two processes
 * opening a new file at once can both try to create the tables; the loser fails and, on a second pass,
 * finds the migrations applied by the winner.
 */
function applyMigrations(sqlite: Database.Database): void {
  const db = drizzle({ client: sqlite });
  try {
    migrate(db, { migrationsFolder });
  } catch {
    migrate(db, { migrationsFolder });
  }
}

/**
 * Opens (creating and migrating when needed) a SQLite database and serves it as a `DocumentStore`; the
 * connection is closed when the scope closes.
 */
export const make = (
  options: SqliteStoreOptions,
): Effect.Effect<DocumentStore['Service'], StorageFailure, Scope.Scope> =>
  Effect.gen(function* () {
    const sqlite = yield* Effect.acquireRelease(
      attempt('open', () => openDatabase(options)),
      (database) =>
        Effect.sync(() => {
          if (database.open) database.close();
        }),
    );
    const db = drizzle({ client: sqlite, schema });
    const { documents, documentOps, documentSnapshots, namedVersions, authors } = schema;

    const insertDocument = db
      .insert(documents)
      .values({
        id: sql.placeholder('id'),
        data: sql.placeholder('data'),
        version: sql.placeholder('version'),
        createdAt: sql.placeholder('updatedAt'),
        updatedAt: sql.placeholder('updatedAt'),
      })
      .onConflictDoNothing()
      .prepare();

    const selectDocument = db
      .select()
      .from(documents)
      .where(eq(documents.id, sql.placeholder('id')))
      .prepare();

    // An upsert whose update only happens for a newer version: snapshots never move backwards [S2].
    const upsertSnapshot = db
      .insert(documents)
      .values({
        id: sql.placeholder('id'),
        data: sql.placeholder('data'),
        version: sql.placeholder('version'),
        createdAt: sql.placeholder('updatedAt'),
        updatedAt: sql.placeholder('updatedAt'),
      })
      .onConflictDoUpdate({
        target: documents.id,
        set: {
          data: sql`excluded.data`,
          version: sql`excluded.version`,
          updatedAt: sql`excluded.updated_at`,
        },
        setWhere: sql`${documents.version} < excluded.version`,
      })
      .prepare();

    // The primary key (doc_id, version) makes the insert the conditional write [S1], and the unique index on
    // (doc_id, client_id, seq) the dedupe [C3]: zero rows changed means one of them is taken.
    const insertOp = db
      .insert(documentOps)
      .values({
        docId: sql.placeholder('docId'),
        version: sql.placeholder('version'),
        delta: sql.placeholder('delta'),
        clientId: sql.placeholder('clientId'),
        seq: sql.placeholder('seq'),
        contentHash: sql.placeholder('contentHash'),
        createdAt: sql.placeholder('createdAt'),
      })
      .onConflictDoNothing()
      .prepare();

    const selectOpById = db
      .select({ version: documentOps.version, hash: documentOps.contentHash })
      .from(documentOps)
      .where(
        and(
          eq(documentOps.docId, sql.placeholder('docId')),
          eq(documentOps.clientId, sql.placeholder('clientId')),
          eq(documentOps.seq, sql.placeholder('seq')),
        ),
      )
      .prepare();
    const findOpId = (docId: string, clientId: string, seq: number) => {
      const row = selectOpById.get({ docId, clientId, seq });
      return row === undefined ? undefined : { version: row.version, hash: row.hash ?? undefined };
    };

    /** Ops with `afterVersion < version <= toVersion`, for the full ops and their summaries alike. */
    const opRange = and(
      eq(documentOps.docId, sql.placeholder('docId')),
      gt(documentOps.version, sql.placeholder('afterVersion')),
      lte(documentOps.version, sql.placeholder('toVersion')),
    );
    // `LIMIT -1` is SQLite for "no limit", which keeps this one prepared statement for every call.
    const selectOps = db
      .select()
      .from(documentOps)
      .where(opRange)
      .orderBy(asc(documentOps.version))
      .limit(sql.placeholder('limit'))
      .prepare();

    const selectOpSummaries = db
      .select({
        version: documentOps.version,
        clientId: documentOps.clientId,
        createdAt: documentOps.createdAt,
      })
      .from(documentOps)
      .where(opRange)
      .orderBy(asc(documentOps.version))
      .limit(sql.placeholder('limit'))
      .prepare();

    const insertArchived = db
      .insert(documentSnapshots)
      .values({
        docId: sql.placeholder('docId'),
        version: sql.placeholder('version'),
        data: sql.placeholder('data'),
        createdAt: sql.placeholder('createdAt'),
      })
      .onConflictDoNothing()
      .prepare();

    const selectArchived = db
      .select()
      .from(documentSnapshots)
      .where(
        and(
          eq(documentSnapshots.docId, sql.placeholder('docId')),
          lte(documentSnapshots.version, sql.placeholder('version')),
        ),
      )
      .orderBy(desc(documentSnapshots.version))
      .limit(1)
      .prepare();

    const archive = (snapshot: Snapshot) =>
      insertArchived.run({
        docId: snapshot.docId,
        version: snapshot.version,
        data: encodeDelta(snapshot.ops),
        createdAt: snapshot.updatedAt,
      });

    // The document and its version-0 snapshot for history are written together or not at all.
    const createWithArchive = sqlite.transaction((snapshot: Snapshot) => {
      const result = insertDocument.run({
        id: snapshot.docId,
        data: encodeDelta(snapshot.ops),
        version: 0,
        updatedAt: snapshot.updatedAt,
      });
      if (result.changes > 0) archive(snapshot);
      return result;
    });

    return DocumentStore.of({
      createDocument: (snapshot) =>
        snapshot.version !== 0
          ? Effect.die(new Error(`createDocument expects version 0, got ${snapshot.version}`))
          : attempt('createDocument', () => createWithArchive(snapshot)).pipe(
              Effect.flatMap((result) =>
                result.changes === 0
                  ? Effect.fail(new DocumentAlreadyExists({ docId: snapshot.docId }))
                  : Effect.void,
              ),
            ),

      loadSnapshot: (docId) =>
        attempt('loadSnapshot', () => {
          const row = selectDocument.get({ id: docId });
          if (row === undefined) return undefined;
          return { docId, version: row.version, ops: decodeDelta(row.data), updatedAt: row.updatedAt };
        }),

      saveSnapshot: (snapshot) =>
        attempt('saveSnapshot', () => {
          upsertSnapshot.run({
            id: snapshot.docId,
            data: encodeDelta(snapshot.ops),
            version: snapshot.version,
            updatedAt: snapshot.updatedAt,
          });
        }),

      appendOp: (op) =>
        attempt('appendOp', () => {
          const result = insertOp.run({
            docId: op.docId,
            version: op.version,
            delta: encodeDelta(op.ops),
            clientId: op.clientId,
            seq: op.seq,
            contentHash: op.hash ?? null,
            createdAt: op.createdAt,
          });
          return result.changes === 0
            ? (findOpId(op.docId, op.clientId, op.seq) ?? 'versionTaken')
            : undefined;
        }).pipe(
          Effect.flatMap((taken): Effect.Effect<void, VersionTaken | OpIdTaken> => {
            if (taken === undefined) return Effect.void;
            if (taken === 'versionTaken') {
              return Effect.fail(new VersionTaken({ docId: op.docId, version: op.version }));
            }
            return Effect.fail(new OpIdTaken({ docId: op.docId, ...taken }));
          }),
        ),

      findOp: (docId, clientId, seq) => attempt('findOp', () => findOpId(docId, clientId, seq)),

      readOps: (docId, afterVersion, toVersion, limit) =>
        limit !== undefined && limit <= 0
          ? Effect.succeed([])
          : attempt('readOps', () =>
              selectOps
                .all({
                  docId,
                  afterVersion,
                  toVersion: toVersion ?? Number.MAX_SAFE_INTEGER,
                  limit: limit ?? -1,
                })
                .map((row) => ({
                  docId,
                  version: row.version,
                  ops: decodeDelta(row.delta),
                  clientId: row.clientId,
                  seq: row.seq,
                  hash: row.contentHash ?? undefined,
                  createdAt: row.createdAt,
                })),
            ),

      readOpSummaries: (docId, afterVersion, toVersion, limit) =>
        attempt('readOpSummaries', () => selectOpSummaries.all({ docId, afterVersion, toVersion, limit })),

      archiveSnapshot: (snapshot) =>
        attempt('archiveSnapshot', () => {
          archive(snapshot);
        }),

      loadArchivedSnapshot: (docId, version) =>
        attempt('loadArchivedSnapshot', () => {
          const [row] = selectArchived.all({ docId, version });
          if (row === undefined) return undefined;
          return { docId, version: row.version, ops: decodeDelta(row.data), updatedAt: row.createdAt };
        }),

      saveVersionName: (named) =>
        attempt('saveVersionName', () => {
          db.insert(namedVersions)
            .values(named)
            .onConflictDoUpdate({
              target: [namedVersions.docId, namedVersions.version],
              set: { name: named.name, createdAt: named.createdAt },
            })
            .run();
        }),

      listVersionNames: (docId) =>
        attempt('listVersionNames', () =>
          db
            .select()
            .from(namedVersions)
            .where(eq(namedVersions.docId, docId))
            .orderBy(asc(namedVersions.version))
            .all(),
        ),

      saveAuthor: (author) =>
        attempt('saveAuthor', () => {
          const row = {
            id: author.authorId,
            name: author.name,
            color: author.color,
            updatedAt: author.updatedAt,
          };
          db.insert(authors)
            .values(row)
            .onConflictDoUpdate({
              target: authors.id,
              set: { name: row.name, color: row.color, updatedAt: row.updatedAt },
            })
            .run();
        }),

      loadAuthors: (authorIds) =>
        authorIds.length === 0
          ? Effect.succeed([])
          : attempt('loadAuthors', () =>
              db
                .select()
                .from(authors)
                .where(inArray(authors.id, [...authorIds]))
                .all()
                .map(
                  (row): AuthorProfile => ({
                    authorId: row.id,
                    name: row.name,
                    color: row.color,
                    updatedAt: row.updatedAt,
                  }),
                ),
            ),

      close: () =>
        Effect.sync(() => {
          if (sqlite.open) sqlite.close();
        }),
      ...sqliteAccessRecords(db),
      ...sqliteHomeRecords(db),
      ...sqliteImageRecords(db),
    });
  });

/** `DocumentStore` on a SQLite file: the embedded default. Closes the database on layer teardown. */
export const layer = (options: SqliteStoreOptions): Layer.Layer<DocumentStore, StorageFailure> =>
  Layer.effect(DocumentStore, make(options));
