import type { DocumentSnapshot, HomeList, OpenedDocument } from '@collab/protocol';
import { call } from './server-session';

/** The documents home on the server [H3]: the caller's documents, titles and trash. */
export const listDocuments = (input: { search?: string; trash?: boolean }) =>
  call<HomeList>(`home.list?input=${encodeURIComponent(JSON.stringify(input))}`);

/** Creation is explicit: the document is made here, empty, owned by the caller. */
export const createDocument = (id: string) => call<DocumentSnapshot>('documents.create', { id });

export const renameDocument = (id: string, title: string, key: string | undefined) =>
  call<OpenedDocument>('home.rename', key === undefined ? { id, title } : { id, title, key });

export const trashDocument = (id: string) => call<null>('home.trash', { id });
export const restoreDocument = (id: string) => call<null>('home.restore', { id });
export const deleteForever = (id: string) => call<null>('home.deleteForever', { id });
