import { type DocumentId, parseDocumentId } from '@collab/protocol';

export type { DocumentId };

/** The editor's path for a document. */
export function documentPath(id: string): string {
  return `/documents/${encodeURIComponent(id)}`;
}

/**
 * A fresh random document id (a UUID v4, like the ids the previous editor made).
 * `crypto.randomUUID` exists only in secure contexts, so plain-http deployments use `getRandomValues`.
 */
export function newDocumentId(source: Pick<Crypto, 'getRandomValues'> & Partial<Pick<Crypto, 'randomUUID'>> = crypto): DocumentId {
  const id = source.randomUUID ? source.randomUUID() : uuidFromBytes(source.getRandomValues(new Uint8Array(16)));
  const parsed = parseDocumentId(id);
  if (!parsed) throw new Error('generated document id is not valid');
  return parsed;
}

function uuidFromBytes(bytes: Uint8Array): string {
  const b = Array.from(bytes);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.map((value) => value.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export type DocumentReference = { ok: true; id: DocumentId } | { ok: false; message: string };

/**
 * Reads what someone typed or pasted to open a document: a bare id, or a link to a document
 * (`https://host/documents/<id>`, with or without query or fragment, from any host).
 */
export function parseDocumentReference(input: string): DocumentReference {
  const text = input.trim();
  if (text === '') return { ok: false, message: 'Enter a document link or id.' };

  const direct = parseDocumentId(text);
  if (direct) return { ok: true, id: direct };

  const fromLink = idFromLink(text);
  if (fromLink !== undefined) {
    const id = parseDocumentId(fromLink);
    if (id) return { ok: true, id };
    return { ok: false, message: 'That link does not point to a valid document.' };
  }
  return {
    ok: false,
    message: 'A document id is 1–128 letters, digits, “-” or “_”. You can also paste a link to a document.',
  };
}

function idFromLink(text: string): string | undefined {
  let url: URL;
  try {
    // A link without a scheme ("example.com/documents/x" or "/documents/x") is read against a dummy base.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://link.invalid/${text.replace(/^\/+/, '')}`);
  } catch {
    return undefined;
  }
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const at = segments.lastIndexOf('documents');
  if (at === -1 || at !== segments.length - 2) return undefined;
  const segment = segments[at + 1] ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
