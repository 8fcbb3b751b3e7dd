import { isDocumentId } from './document-ids';
import { type KeyValueStore, readJson, writeJson } from './local-store';

/** A document this browser opened, for the home page's list. */
export interface RecentDocument {
  readonly id: string;
  /** The document's first line when it was last seen; may be empty. */
  readonly title: string;
  /** Milliseconds since the epoch. */
  readonly openedAt: number;
}

export const RECENT_DOCUMENTS_KEY = 'collab:recent-documents';
export const MAX_RECENT_DOCUMENTS = 30;

/** Reads a stored list defensively: entries that are not well-formed are dropped, newest first, no repeats. */
export function parseRecentDocuments(value: unknown): RecentDocument[] {
  if (!Array.isArray(value)) return [];
  const byId = new Map<string, RecentDocument>();
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, title, openedAt } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !isDocumentId(id)) continue;
    if (typeof openedAt !== 'number' || !Number.isFinite(openedAt)) continue;
    const previous = byId.get(id);
    if (previous && previous.openedAt >= openedAt) continue;
    byId.set(id, { id, title: typeof title === 'string' ? title : '', openedAt });
  }
  return sortAndCap([...byId.values()]);
}

function sortAndCap(list: RecentDocument[]): RecentDocument[] {
  return list.sort((a, b) => b.openedAt - a.openedAt).slice(0, MAX_RECENT_DOCUMENTS);
}

/** Puts a document at the top of the list; keeps its known title unless a new one is given. */
export function rememberDocument(
  list: readonly RecentDocument[],
  document: { id: string; title?: string },
  now: number,
): RecentDocument[] {
  const previous = list.find((entry) => entry.id === document.id);
  const entry = { id: document.id, title: document.title ?? previous?.title ?? '', openedAt: now };
  return sortAndCap([entry, ...list.filter((item) => item.id !== document.id)]);
}

/** Updates a listed document's title in place; the same list is returned when nothing changes. */
export function retitleDocument(
  list: readonly RecentDocument[],
  id: string,
  title: string,
): readonly RecentDocument[] {
  const index = list.findIndex((entry) => entry.id === id);
  const entry = list[index];
  if (!entry || entry.title === title) return list;
  return list.map((item, at) => (at === index ? { ...entry, title } : item));
}

export function forgetDocument(list: readonly RecentDocument[], id: string): RecentDocument[] {
  return list.filter((entry) => entry.id !== id);
}

export function loadRecentDocuments(store: KeyValueStore | undefined): RecentDocument[] {
  return parseRecentDocuments(readJson(store, RECENT_DOCUMENTS_KEY));
}

/**
 * Changes the stored list, reading it afresh first so that tabs open on other documents
 * do not overwrite each other's entries. Returns the new list.
 */
export function updateRecentDocuments(
  store: KeyValueStore | undefined,
  change: (list: readonly RecentDocument[]) => readonly RecentDocument[],
): readonly RecentDocument[] {
  const current = loadRecentDocuments(store);
  const next = change(current);
  if (next !== current) writeJson(store, RECENT_DOCUMENTS_KEY, next);
  return next;
}
