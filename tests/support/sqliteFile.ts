import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './repo.js';

/** The few better-sqlite3 calls the suites use (the driver is a dependency of the server package). */
interface Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
interface Database {
  prepare(sql: string): Statement;
  close(): void;
}
type DatabaseConstructor = new (
  path: string,
  options?: { readonly?: boolean; fileMustExist?: boolean },
) => Database;

/** Resolved from the server package, whose dependency it is, so the suites read the file the way it does. */
const requireFromServer = createRequire(join(repoRoot, 'apps/server/package.json'));
const Sqlite = requireFromServer('better-sqlite3') as DatabaseConstructor;

/** A stored snapshot row of the `documents` table. */
export interface SnapshotRow {
  readonly version: number;
  readonly ops: unknown[];
}

/** Reads a server's SQLite file directly (read-only unless `writable`), to see what is really stored. */
export function openSqliteFile(path: string, { writable = false } = {}) {
  const db = new Sqlite(path, { readonly: !writable, fileMustExist: true });
  return {
    snapshot(docId: string): SnapshotRow | undefined {
      const row = db.prepare('SELECT version, data FROM documents WHERE id = ?').get(docId) as
        | { version: number; data: string }
        | undefined;
      if (!row) return undefined;
      return { version: row.version, ops: (JSON.parse(row.data) as { ops: unknown[] }).ops };
    },
    opVersions(docId: string): number[] {
      return (
        db.prepare('SELECT version FROM document_ops WHERE doc_id = ? ORDER BY version').all(docId) as Array<{
          version: number;
        }>
      ).map((row) => row.version);
    },
    /** How many uploaded images of the document are stored [H4]. */
    imageCount(docId: string): number {
      return (
        db.prepare('SELECT count(*) AS n FROM document_images WHERE doc_id = ?').get(docId) as { n: number }
      ).n;
    },
    /** Removes ops up to `version` from the log (to prove a load starts from the snapshot). */
    deleteOpsThrough(docId: string, version: number): number {
      return db.prepare('DELETE FROM document_ops WHERE doc_id = ? AND version <= ?').run(docId, version)
        .changes;
    },
    /** Holds the database's write lock until the returned function is called (other writers get SQLITE_BUSY). */
    lockForWriting(): () => void {
      db.prepare('BEGIN EXCLUSIVE').run();
      return () => db.prepare('ROLLBACK').run();
    },
    close: () => db.close(),
  };
}

/** Opens the file, runs `read`, and closes it again. */
export function readSqliteFile<A>(path: string, read: (file: ReturnType<typeof openSqliteFile>) => A): A {
  const file = openSqliteFile(path);
  try {
    return read(file);
  } finally {
    file.close();
  }
}
