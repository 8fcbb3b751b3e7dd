import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** The latest snapshot of each document: a cache of its op log [S2]. */
export const documents = sqliteTable('documents', {
  id: text('id').primaryKey(),
  /** The snapshot delta as JSON (`{"ops":[...]}`), the same shape as the DynamoDB table's `Data`. */
  data: text('data').notNull(),
  version: integer('version').notNull(),
  /** Epoch milliseconds. */
  createdAt: integer('created_at').notNull(),
  /** Epoch milliseconds. */
  updatedAt: integer('updated_at').notNull(),
});

/**
 * The op log, the source of truth [S2]. The primary key on `(doc_id, version)` is the conditional write
 * that orders commits across processes [S1]; it also serves every catch-up read by range. The unique index
 * on `(doc_id, client_id, seq)` commits an op at most once, however late it is resubmitted [C3].
 */
export const documentOps = sqliteTable(
  'document_ops',
  {
    docId: text('doc_id').notNull(),
    version: integer('version').notNull(),
    /** The op's delta as JSON (`{"ops":[...]}`). */
    delta: text('delta').notNull(),
    clientId: text('client_id').notNull(),
    seq: integer('seq').notNull(),
    /** Hash of what the op was submitted with (null for ops stored before hashes were kept). */
    contentHash: text('content_hash'),
    /** Epoch milliseconds. */
    createdAt: integer('created_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.docId, table.version] }),
    uniqueIndex('document_ops_op_id').on(table.docId, table.clientId, table.seq),
  ],
);

/** Who may open each document [A2]; a document without a row predates access control. */
export const documentAccess = sqliteTable('document_access', {
  docId: text('doc_id').primaryKey(),
  ownerId: text('owner_id'),
  /** `restricted`, `view` or `edit`. */
  generalAccess: text('general_access').notNull(),
  viewerKey: text('viewer_key'),
  editorKey: text('editor_key'),
  /** Epoch milliseconds. */
  updatedAt: integer('updated_at').notNull(),
});

/** Browser sessions [A1], by the SHA-256 of their cookie's secret. */
export const browserSessions = sqliteTable('browser_sessions', {
  secretHash: text('secret_hash').primaryKey(),
  authorId: text('author_id').notNull(),
  name: text('name'),
  color: text('color'),
  /** Epoch milliseconds. */
  createdAt: integer('created_at').notNull(),
});

/** Snapshots kept for history: every few hundred versions, and version 0 [H1]. */
export const documentSnapshots = sqliteTable(
  'document_snapshots',
  {
    docId: text('doc_id').notNull(),
    version: integer('version').notNull(),
    /** The delta as JSON (`{"ops":[...]}`). */
    data: text('data').notNull(),
    /** Epoch milliseconds. */
    createdAt: integer('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.docId, table.version] })],
);

/** Versions named in the history panel [H1]. */
export const namedVersions = sqliteTable(
  'named_versions',
  {
    docId: text('doc_id').notNull(),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    /** Epoch milliseconds. */
    createdAt: integer('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.docId, table.version] })],
);

/** The name and colour each author last published, keyed by the author part of their client ids [H1]. */
export const authors = sqliteTable('authors', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  color: text('color').notNull(),
  /** Epoch milliseconds. */
  updatedAt: integer('updated_at').notNull(),
});

/** What the documents home shows of each document [H3]; see `DocumentEntry`. */
export const documentEntries = sqliteTable(
  'document_entries',
  {
    docId: text('doc_id').primaryKey(),
    ownerId: text('owner_id'),
    title: text('title'),
    firstLine: text('first_line').notNull(),
    /** Epoch milliseconds. */
    createdAt: integer('created_at').notNull(),
    /** Epoch milliseconds. */
    lastEditAt: integer('last_edit_at').notNull(),
    lastEditorName: text('last_editor_name'),
    /** Epoch milliseconds; null when not in the trash. */
    trashedAt: integer('trashed_at'),
    /** Epoch milliseconds; null unless deleted forever. */
    deletedAt: integer('deleted_at'),
  },
  (table) => [index('document_entries_owner').on(table.ownerId)],
);

/** Who opened or created which document [H3]: a principal's home lists these, by its primary key prefix. */
export const documentVisits = sqliteTable(
  'document_visits',
  {
    principalId: text('principal_id').notNull(),
    docId: text('doc_id').notNull(),
    /** Epoch milliseconds. */
    openedAt: integer('opened_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.principalId, table.docId] })],
);

/** Images uploaded into a document [H4], by the SHA-256 of their bytes. */
export const documentImages = sqliteTable(
  'document_images',
  {
    docId: text('doc_id').notNull(),
    /** SHA-256 of `data`, hex. */
    imageId: text('image_id').notNull(),
    contentType: text('content_type').notNull(),
    data: blob('data', { mode: 'buffer' }).notNull(),
    /** Epoch milliseconds. */
    createdAt: integer('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.docId, table.imageId] })],
);
