import type { GeneralAccess } from '@collab/protocol';
import type * as Effect from 'effect/Effect';
import * as Schema from 'effect/Schema';
import type { StorageFailure } from './DocumentStore.js';

/**
 * Who may open a document [A2]. A document without a record was created before access control and is
 * open to anyone with its address (general access `edit`, no owner).
 */
export interface AccessRecord {
  readonly docId: string;
  /** The authorId of the creator; null for documents created by the anonymous principal [A8]. */
  readonly ownerId: string | null;
  readonly generalAccess: GeneralAccess;
  /** Share link keys, kept so the owner can copy the links again; null when there is no such link. */
  readonly viewerKey: string | null;
  readonly editorKey: string | null;
  /** Epoch milliseconds. */
  readonly updatedAt: number;
}

/** A browser session [A1]: found by the hash of its cookie's secret (the secret itself is never stored). */
export interface BrowserSessionRecord {
  readonly secretHash: string;
  readonly authorId: string;
  readonly name: string | null;
  readonly color: string | null;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** `createAccess` found a record: somebody else created the document first. */
export class AccessAlreadyExists extends Schema.TaggedError<AccessAlreadyExists>()('AccessAlreadyExists', {
  docId: Schema.String,
}) {}

/** The part of the storage contract that holds access records and browser sessions. */
export interface AccessRecordStore {
  loadAccess(docId: string): Effect.Effect<AccessRecord | undefined, StorageFailure>;
  /** Writes the record of a new document, unless one exists. */
  createAccess(record: AccessRecord): Effect.Effect<void, AccessAlreadyExists | StorageFailure>;
  /** Replaces the record (the owner changed the settings). */
  saveAccess(record: AccessRecord): Effect.Effect<void, StorageFailure>;
  loadBrowserSession(secretHash: string): Effect.Effect<BrowserSessionRecord | undefined, StorageFailure>;
  /** Creates or replaces a session. */
  saveBrowserSession(record: BrowserSessionRecord): Effect.Effect<void, StorageFailure>;
}
