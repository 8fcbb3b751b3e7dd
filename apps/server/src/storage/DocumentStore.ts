import type { Op } from '@collab/protocol';
import { Context, type Effect, Schema } from 'effect';
import type { AccessRecordStore } from './AccessRecords.js';
import type { HomeRecordStore } from './HomeRecords.js';

/** A committed op as stored: version `v` turns version `v-1` into `v` [D2]. */
export interface StoredOp {
  readonly docId: string;
  readonly version: number;
  readonly ops: readonly Op[];
  readonly clientId: string;
  readonly seq: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** The document's contents at `version` (inserts only, ending in "\n"). */
export interface Snapshot {
  readonly docId: string;
  readonly version: number;
  readonly ops: readonly Op[];
  /** Epoch milliseconds. */
  readonly updatedAt: number;
}

/** Another writer already committed this `(docId, version)` [S1]: re-read, re-transform, retry. */
export class VersionTaken extends Schema.TaggedError<VersionTaken>()('VersionTaken', {
  docId: Schema.String,
  version: Schema.Number,
}) {}

/** `createDocument` found a document with this id. */
export class DocumentAlreadyExists extends Schema.TaggedError<DocumentAlreadyExists>()(
  'DocumentAlreadyExists',
  {
    docId: Schema.String,
  },
) {}

/**
 * The storage could not answer (network, throttling, disk). `retryable` says whether trying again may
 * help (throttling, timeouts). Its text stays in logs; clients only ever see a generic error.
 */
export class StorageFailure extends Schema.TaggedError<StorageFailure>()('StorageFailure', {
  operation: Schema.String,
  retryable: Schema.Boolean,
  cause: Schema.Defect(),
}) {}

/**
 * Durable storage of documents: the op log is the truth, snapshots are a cache of it [S2].
 * Every adapter passes the contract suite in `test/storage/contract.ts`.
 */
export class DocumentStore extends Context.Service<
  DocumentStore,
  {
    /** Creates a document at version 0 with `snapshot.ops` as contents. */
    createDocument(snapshot: Snapshot): Effect.Effect<void, DocumentAlreadyExists | StorageFailure>;
    /** The latest snapshot, or undefined when the document does not exist. */
    loadSnapshot(docId: string): Effect.Effect<Snapshot | undefined, StorageFailure>;
    /**
     * Stores a newer snapshot. Never moves a snapshot backwards: when the stored one is at the same or a
     * higher version, nothing changes. A reader never sees a half-written snapshot.
     */
    saveSnapshot(snapshot: Snapshot): Effect.Effect<void, StorageFailure>;
    /** Appends an op if and only if `(docId, version)` is free: the cross-process ordering point [S1]. */
    appendOp(op: StoredOp): Effect.Effect<void, VersionTaken | StorageFailure>;
    /**
     * Ops with `afterVersion < version <= toVersion` (all after `afterVersion` when `toVersion` is
     * omitted), oldest first, at most `limit` of them. Reads are strongly consistent.
     */
    readOps(
      docId: string,
      afterVersion: number,
      toVersion?: number,
      limit?: number,
    ): Effect.Effect<readonly StoredOp[], StorageFailure>;
    /** Releases connections. */
    close(): Effect.Effect<void>;
  } & AccessRecordStore &
    HomeRecordStore
>()('collab/storage/DocumentStore') {}
