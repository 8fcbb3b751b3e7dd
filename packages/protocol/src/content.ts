import type { Op } from './delta.js';
import { parseImagePath } from './images.js';

/**
 * The content the web editor can render [A7]: every format and embed it registers, with the values it
 * accepts. The server refuses a delta with anything else; the web editor registers exactly these names,
 * so a paste cannot bring in more.
 */
type Check = (value: unknown) => boolean;

/** Any delta op: the wire schema's, or quill-delta's. */
interface AnyOp {
  readonly insert?: unknown;
  readonly retain?: unknown;
  readonly delete?: unknown;
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
}

const oneOf =
  (...values: readonly unknown[]): Check =>
  (value) =>
    values.includes(value);
const isTrue: Check = (value) => value === true;

/** `#rgb`, `#rrggbb`, `rgb(…)`/`rgba(…)` with numbers, or a CSS colour keyword. */
const cssColour: Check = (value) =>
  typeof value === 'string' &&
  (/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(value) ||
    /^rgba?\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*(?:,\s*(?:0|1|0?\.\d+)\s*)?\)$/.test(value) ||
    /^[a-z]{3,20}$/.test(value));

const linkProtocols = new Set(['http:', 'https:', 'mailto:', 'tel:']);

/** An absolute URL whose protocol is in `protocols`. */
function urlWith(protocols: ReadonlySet<string>): Check {
  return (value) => {
    if (typeof value !== 'string' || value.length > 2048) return false;
    try {
      return protocols.has(new URL(value).protocol);
    } catch {
      return false;
    }
  };
}

/**
 * An image uploaded to this site (its path, `/api/documents/{id}/images/{sha256}` [H4]) or any https URL.
 * Data URLs never pass: the server stores them as uploads and rewrites them to their path first.
 */
const imageSource: Check = (value) =>
  typeof value === 'string' && (parseImagePath(value) !== undefined || urlWith(new Set(['https:']))(value));

export const allowedFormats: Readonly<Record<string, Check>> = {
  bold: isTrue,
  italic: isTrue,
  underline: isTrue,
  strike: isTrue,
  code: isTrue,
  script: oneOf('sub', 'super'),
  link: urlWith(linkProtocols),
  color: cssColour,
  background: cssColour,
  font: oneOf('serif', 'monospace'),
  size: oneOf('small', 'large', 'huge'),
  header: oneOf(1, 2, 3, 4, 5, 6),
  list: oneOf('ordered', 'bullet', 'checked', 'unchecked'),
  blockquote: isTrue,
  'code-block': (value) => value === true || (typeof value === 'string' && /^[a-z0-9+#-]{1,32}$/.test(value)),
  indent: oneOf(1, 2, 3, 4, 5, 6, 7, 8),
  align: oneOf('center', 'right', 'justify'),
  direction: oneOf('rtl'),
};

export const allowedEmbeds: Readonly<Record<string, Check>> = {
  image: imageSource,
};

/** The format and embed names to register with Quill (its `formats` option). */
export const editorFormats: readonly string[] = [
  ...Object.keys(allowedFormats),
  ...Object.keys(allowedEmbeds),
];

/** Why `op` holds content the editor cannot render, or undefined when it is fine. */
export function contentProblem(op: AnyOp): string | undefined {
  if (typeof op.insert === 'object' && op.insert !== null) {
    const [name, value] = Object.entries(op.insert)[0] ?? [];
    if (name === undefined) return 'an embed must have one key';
    const check = Object.hasOwn(allowedEmbeds, name) ? allowedEmbeds[name] : undefined;
    if (!check) return `the embed "${name}" is not supported`;
    if (!check(value)) return `the ${name} embed's value is not allowed`;
  }
  if (op.attributes) {
    for (const [name, value] of Object.entries(op.attributes)) {
      const check = Object.hasOwn(allowedFormats, name) ? allowedFormats[name] : undefined;
      if (!check) return `the format "${name}" is not supported`;
      // null removes a format; it is always allowed.
      if (value !== null && !check(value)) return `the value of the format "${name}" is not allowed`;
    }
  }
  return undefined;
}

/** The first problem of any op in `ops` [A7]. */
export function deltaContentProblem(ops: readonly AnyOp[]): string | undefined {
  for (const [index, op] of ops.entries()) {
    const problem = contentProblem(op);
    if (problem) return `op ${index}: ${problem}`;
  }
  return undefined;
}

/** Stands in for an embed the editor cannot render: one character, so every index stays the same. */
export const unknownEmbedText = '\uFFFC';

/**
 * A stored document made renderable: each unknown embed shown as one placeholder character (keeping its
 * length, so ops made on it still apply to the stored document), unknown or invalid formats removed.
 * Documents stored before the allowlist existed still open. `dropped` counts what was replaced or removed.
 */
export function sanitizeDocumentOps(ops: readonly Op[]): { ops: Op[]; dropped: number } {
  let dropped = 0;
  const result: Op[] = [];
  for (const op of ops) {
    if (!('insert' in op)) {
      result.push(op);
      continue;
    }
    if (typeof op.insert === 'object' && contentProblem({ insert: op.insert })) {
      dropped += 1;
      result.push({ insert: unknownEmbedText });
      continue;
    }
    if (!op.attributes) {
      result.push(op);
      continue;
    }
    const attributes: Record<string, string | number | boolean | null> = {};
    for (const [name, value] of Object.entries(op.attributes)) {
      const check = Object.hasOwn(allowedFormats, name) ? allowedFormats[name] : undefined;
      if (check && value !== null && check(value)) attributes[name] = value;
      else dropped += 1;
    }
    result.push(
      Object.keys(attributes).length > 0 ? { insert: op.insert, attributes } : { insert: op.insert },
    );
  }
  return { ops: result, dropped };
}
