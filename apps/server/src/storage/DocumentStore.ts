import type { Op } from '@collab/protocol';
import * as Context from 'effect/Context';
import type * as Effect from 'effect/Effect';
import * as Schema from 'effect/Schema';
import type { AccessRecordStore } from './AccessRecords.js';
import type { HomeRecordStore } from './HomeRecords.js';
import type { ImageRecordStore } from './ImageRecords.js';

/** A committed op as stored: version `v` turns version `v-1` into `v` [D2]. */
export interface StoredOp {
  readonly docId: string;
  readonly version: number;
  readonly ops: readonly Op[];
  readonly clientId: string;
  readonly seq: number;
  /**
   * What the op was submitted with, as a hash, so that a resubmit under the same `(clientId, seq)` is told
   * from a different op (see `contentHash`). Undefined only for ops stored before hashes were kept.
   */
  readonly hash?: string | undefined;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** Where an op named `(clientId, seq)` was committed, and the hash it was submitted with. */
export interface CommittedOpId {
  readonly version: number;
  readonly hash: string | undefined;
}

/** The document's contents at `version` (inserts only, ending in "\n"). */
export interface Snapshot {
  readonly docId: string;
  readonly version: number;
  readonly ops: readonly Op[];
  /** Epoch milliseconds. */
  readonly updatedAt: number;
}

/** Who committed an op and when, without its delta: what the history's sessions are built from [H1]. */
export interface OpSummary {
  readonly version: number;
  readonly clientId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** A version someone named in the history panel [H1]. */
export interface NamedVersion {
  readonly docId: string;
  readonly version: number;
  readonly name: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** The name and colour an author last published in their presence, shown in history [H1]. */
export interface AuthorProfile {
  readonly authorId: string;
  readonly name: string;
  readonly color: string;
  /** Epoch milliseconds. */
  readonly updatedAt: number;
}

/** Another writer already committed this `(docId, version)` [S1]: re-read, re-transform, retry. */
export class VersionTaken extends Schema.TaggedError<VersionTaken>()('VersionTaken', {
  docId: Schema.String,
  version: Schema.Number,
}) {}

/**
 * [C3] `(docId, clientId, seq)` was committed before, at `version`: the op is a resubmit (when `hash`
 * matches) or a different op reusing a taken id. Nothing was written.
 */
export class OpIdTaken extends Schema.TaggedError<OpIdTaken>()('OpIdTaken', {
  docId: Schema.String,
  version: Schema.Number,
  hash: Schema.optional(Schema.String),
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
    /**
     * Appends an op if and only if `(docId, version)` is free, the cross-process ordering point [S1], and
     * `(docId, clientId, seq)` was never committed [C3]: both are checked in one atomic write, so an op is
     * committed at most once whatever its age. A taken id wins over a taken version in the answer.
     */
    appendOp(op: StoredOp): Effect.Effect<void, VersionTaken | OpIdTaken | StorageFailure>;
    /** Where `(docId, clientId, seq)` was committed, or undefined when it never was [C3]. */
    findOp(
      docId: string,
      clientId: string,
      seq: number,
    ): Effect.Effect<CommittedOpId | undefined, StorageFailure>;
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
    /** Like `readOps`, without the deltas: a history of many ops is summarised without reading them. */
    readOpSummaries(
      docId: string,
      afterVersion: number,
      toVersion: number,
      limit: number,
    ): Effect.Effect<readonly OpSummary[], StorageFailure>;
    /**
     * Keeps a snapshot for history, beside the latest one [H1]. Writing the same version again changes
     * nothing. `createDocument` keeps version 0 this way too, so every version can be rebuilt.
     */
    archiveSnapshot(snapshot: Snapshot): Effect.Effect<void, StorageFailure>;
    /** The newest kept snapshot at or before `version`, or undefined when none is. */
    loadArchivedSnapshot(docId: string, version: number): Effect.Effect<Snapshot | undefined, StorageFailure>;
    /** Names a version, replacing an earlier name of the same version. */
    saveVersionName(named: NamedVersion): Effect.Effect<void, StorageFailure>;
    /** Every named version of a document, oldest version first. */
    listVersionNames(docId: string): Effect.Effect<readonly NamedVersion[], StorageFailure>;
    /** Stores an author's name and colour, replacing what was stored for them. */
    saveAuthor(author: AuthorProfile): Effect.Effect<void, StorageFailure>;
    /** The stored profiles of the authors asked for; unknown ones are left out. */
    loadAuthors(authorIds: readonly string[]): Effect.Effect<readonly AuthorProfile[], StorageFailure>;
    /** Releases connections. */
    close(): Effect.Effect<void>;
  } & AccessRecordStore &
    HomeRecordStore &
    ImageRecordStore
>()('collab/storage/DocumentStore') {}
