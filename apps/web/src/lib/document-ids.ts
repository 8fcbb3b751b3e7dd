/**
 * [D3] A document id: 1 to 128 letters, digits, `_` or `-`. This is `DocumentId` of `@collab/protocol`,
 * restated so pages that only check ids do not load the protocol's schemas; a test keeps the two equal.
 */
const DOCUMENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function isDocumentId(value: unknown): boolean {
  return typeof value === 'string' && DOCUMENT_ID.test(value);
}

/** The editor's path for a document. */
export function documentPath(id: string): string {
  return `/documents/${encodeURIComponent(id)}`;
}

/**
 * A fresh random document id (a UUID v4, like the ids the previous editor made).
 * `crypto.randomUUID` exists only in secure contexts, so plain-http deployments use `getRandomValues`.
 */
export function newDocumentId(
  source: Pick<Crypto, 'getRandomValues'> & Partial<Pick<Crypto, 'randomUUID'>> = crypto,
): string {
  return source.randomUUID ? source.randomUUID() : uuidFromBytes(source.getRandomValues(new Uint8Array(16)));
}

function uuidFromBytes(bytes: Uint8Array): string {
  const b = Array.from(bytes);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.map((value) => value.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export type DocumentReference = { ok: true; id: string } | { ok: false; message: string };

/**
 * Reads what someone typed or pasted to open a document: a bare id, or a link to a document
 * (`https://host/documents/<id>`, with or without query or fragment, from any host).
 */
export function parseDocumentReference(input: string): DocumentReference {
  const text = input.trim();
  if (text === '') return { ok: false, message: 'Enter a document link or id.' };

  if (isDocumentId(text)) return { ok: true, id: text };

  const fromLink = idFromLink(text);
  if (fromLink !== undefined) {
    if (isDocumentId(fromLink)) return { ok: true, id: fromLink };
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
    url = new URL(
      /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://link.invalid/${text.replace(/^\/+/, '')}`,
    );
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
