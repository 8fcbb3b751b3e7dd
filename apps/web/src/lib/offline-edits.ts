import type { UnsavedEdits } from '@collab/client';
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/**
 * [C10] Edits the server has not acknowledged, kept in IndexedDB so that they survive a reload, a closed
 * tab or a browser crash, and are sent when the document is next opened. One record per document and
 * clientId: the clientId and the op's seq let the server recognise an op it already committed [C3].
 *
 * A page holds a Web Lock named after its record while it is open, so two tabs on one document never take
 * each other's edits; a record whose lock is free was left by a page that is gone, and the next page that
 * opens the document claims it.
 */
interface OfflineEditsSchema extends DBSchema {
  edits: {
    key: [string, string];
    value: { docId: string; clientId: string; edits: UnsavedEdits; savedAt: number };
  };
}

const DB_NAME = 'collab-offline-edits';
const STORE = 'edits';

export interface ClaimedEdits {
  readonly clientId: string;
  readonly edits: UnsavedEdits;
}

export interface OfflineEdits {
  /** Edits a page that is gone left for this document, now held by this page; undefined when none. */
  claim(docId: string): Promise<ClaimedEdits | undefined>;
  /** Marks `(docId, clientId)` as this page's, so no other page claims what it saves. */
  hold(docId: string, clientId: string): Promise<void>;
  /** Keeps the edits, or forgets the record when there are none left (everything acknowledged). */
  save(docId: string, clientId: string, edits: UnsavedEdits | undefined): Promise<void>;
}

const lockName = (docId: string, clientId: string) => `collab-offline-edits:${docId}:${clientId}`;

/**
 * Takes the lock if it is free and keeps it until the page goes away. True when this page holds it (also
 * where the browser has no Web Locks, so a lone tab still gets its edits back).
 */
function takeLock(name: string): Promise<boolean> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    void locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      // Held for the life of the page: the browser releases it when the page is gone.
      return lock === null ? undefined : new Promise<void>(() => {});
    });
  });
}

/** The store, or undefined where IndexedDB is missing or blocked (private modes, server render). */
export async function openOfflineEdits(): Promise<OfflineEdits | undefined> {
  if (typeof indexedDB === 'undefined') return undefined;
  let db: IDBPDatabase<OfflineEditsSchema>;
  try {
    db = await openDB<OfflineEditsSchema>(DB_NAME, 1, {
      upgrade(database) {
        database.createObjectStore(STORE, { keyPath: ['docId', 'clientId'] });
      },
    });
  } catch {
    return undefined;
  }
  const held = new Set<string>();
  const hold = async (docId: string, clientId: string) => {
    const name = lockName(docId, clientId);
    if (held.has(name)) return true;
    const taken = await takeLock(name);
    if (taken) held.add(name);
    return taken;
  };
  return {
    async claim(docId) {
      const records = await db.getAll(STORE, IDBKeyRange.bound([docId, ''], [docId, '\uffff']));
      records.sort((a, b) => a.savedAt - b.savedAt);
      for (const record of records) {
        if (await hold(docId, record.clientId)) return { clientId: record.clientId, edits: record.edits };
      }
      return undefined;
    },
    async hold(docId, clientId) {
      await hold(docId, clientId);
    },
    async save(docId, clientId, edits) {
      if (edits === undefined) await db.delete(STORE, [docId, clientId]);
      else await db.put(STORE, { docId, clientId, edits, savedAt: Date.now() });
    },
  };
}
