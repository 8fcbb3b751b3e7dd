import type * as Effect from 'effect/Effect';
import type { StorageFailure } from './DocumentStore.js';

/**
 * What the documents home shows of a document [H3], kept apart from its contents so that a list of
 * thousands reads no snapshot. A document stored before the home existed has none until it is opened.
 */
export interface DocumentEntry {
  readonly docId: string;
  /** The authorId of the creator; null when the anonymous principal created it. */
  readonly ownerId: string | null;
  /** Set by a rename; null shows the first line. */
  readonly title: string | null;
  /** The first line of the contents as of the last edit recorded. */
  readonly firstLine: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds of the last edit recorded (the creation until then). */
  readonly lastEditAt: number;
  readonly lastEditorName: string | null;
  /** Epoch milliseconds it went to the trash; null when it is not there. */
  readonly trashedAt: number | null;
  /** Epoch milliseconds it was deleted forever: its contents are gone and its id stays taken. */
  readonly deletedAt: number | null;
}

/** The fields a change may set; the others keep their value. */
export type EntryChange = Partial<
  Pick<DocumentEntry, 'title' | 'firstLine' | 'lastEditAt' | 'lastEditorName' | 'trashedAt' | 'deletedAt'>
>;

/** The part of the storage contract that holds the documents home [H3]. */
export interface HomeRecordStore {
  loadEntry(docId: string): Effect.Effect<DocumentEntry | undefined, StorageFailure>;
  /** Writes the entry of a document unless it has one already. */
  createEntry(entry: DocumentEntry): Effect.Effect<void, StorageFailure>;
  /** Sets the given fields of an existing entry; does nothing when the document has no entry. */
  updateEntry(docId: string, change: EntryChange): Effect.Effect<void, StorageFailure>;
  /** The principal opened (or created) the document at `at`: it joins the principal's home. */
  recordVisit(principalId: string, docId: string, at: number): Effect.Effect<void, StorageFailure>;
  /** The entries of every document the principal owns or opened, in no particular order. */
  listEntries(principalId: string): Effect.Effect<readonly DocumentEntry[], StorageFailure>;
  /** Removes the contents of a document for good: its snapshot and its op log. */
  deleteContents(docId: string): Effect.Effect<void, StorageFailure>;
}
