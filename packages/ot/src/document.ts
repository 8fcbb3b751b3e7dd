import { type AttributeMap, Delta, type Op } from './delta.js';

/** The length a change must stay inside ([D1]: every character and embed counts, the final "\n" too). */
export function documentLength(doc: Delta): number {
  return doc.length();
}

/**
 * Applies a change to a document and normalises the result, so that two routes to the same text give
 * deep-equal (and JSON-identical) documents. The change must have passed `validateChange`.
 */
export function applyChange(doc: Delta, change: Delta): Delta {
  return normalizeDocument(doc.compose(change));
}

/**
 * [C9] The same change in a form that keeps the document's final "\n" in place: a valid change that
 * deletes it (leaving another "\n" last) or inserts after it is replaced by the difference between the
 * document and the result, taken before their final "\n"s, plus the change of the final line's formats.
 * The result is unchanged; what changes is how the edit transforms against concurrent ones: text another
 * person types on the last line then stays before the final "\n" instead of landing after it. Clients
 * send changes in this form and the server commits them in it.
 */
export function keepFinalNewline(doc: Delta, change: Delta): Delta {
  if (!movesFinalNewline(doc, change)) return change;
  const result = applyChange(doc, change);
  const last = doc.length() - 1;
  const kept = doc.slice(0, last).diff(result.slice(0, result.length() - 1));
  let covered = 0;
  for (const op of kept.ops) covered += typeof op.retain === 'number' ? op.retain : (op.delete ?? 0);
  const formats = attributesChange(
    doc.slice(last).ops[0]?.attributes,
    result.slice(result.length() - 1).ops[0]?.attributes,
  );
  return formats === undefined
    ? kept
    : kept
        .retain(last - covered)
        .retain(1, formats)
        .chop();
}

function movesFinalNewline(doc: Delta, change: Delta): boolean {
  const last = doc.length() - 1;
  let index = 0;
  for (const op of change.ops) {
    if (op.insert !== undefined) {
      if (index > last) return true;
    } else {
      const count = typeof op.retain === 'number' ? op.retain : (op.delete ?? 0);
      if (op.delete !== undefined && index + count > last) return true;
      index += count;
    }
  }
  return false;
}

/** The formats to set (null: remove) to go from `before` to `after`, or undefined when they are equal. */
function attributesChange(before: AttributeMap | undefined, after: AttributeMap | undefined) {
  const changes: AttributeMap = {};
  for (const [key, value] of Object.entries(after ?? {})) if (before?.[key] !== value) changes[key] = value;
  for (const key of Object.keys(before ?? {})) if (after?.[key] === undefined) changes[key] = null;
  return Object.keys(changes).length === 0 ? undefined : changes;
}

/**
 * The canonical form of a document: adjacent string inserts with equal attributes merged, attributes
 * with sorted keys and without null or empty maps, each op written `{ insert, attributes }` (compose
 * may emit `{ attributes, insert }`, which is deep-equal but serialises differently). Documents are compared and stored in this form.
 * Returns the argument itself when it is already canonical (the common case, checked in one pass).
 */
export function normalizeDocument(doc: Delta): Delta {
  if (isCanonical(doc.ops)) return doc;
  const result = new Delta();
  for (const op of doc.ops) {
    if (op.insert === '') continue;
    const attributes = canonicalAttributes(op.attributes);
    result.push(attributes ? { insert: op.insert, attributes } : { insert: op.insert });
  }
  return result;
}

/** True when applying the change leaves every document as it is; such local edits are not sent. */
export function isNoop(change: Delta): boolean {
  return change.ops.every(
    (op) =>
      typeof op.retain === 'number' &&
      (op.attributes === undefined || Object.keys(op.attributes).length === 0),
  );
}

function isCanonical(ops: readonly Op[]): boolean {
  let previous: Op | undefined;
  for (const op of ops) {
    if (op.attributes !== undefined && !isCanonicalAttributes(op.attributes)) return false;
    if (op.insert === '' || Object.keys(op)[0] !== 'insert') return false;
    if (
      previous !== undefined &&
      typeof previous.insert === 'string' &&
      typeof op.insert === 'string' &&
      sameAttributes(previous.attributes, op.attributes)
    ) {
      return false;
    }
    previous = op;
  }
  return true;
}

function isCanonicalAttributes(attributes: AttributeMap): boolean {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (attributes[key] == null) return false;
    if (i > 0 && (keys[i - 1] as string) >= key) return false;
  }
  return true;
}

function canonicalAttributes(attributes: AttributeMap | undefined): AttributeMap | undefined {
  if (attributes === undefined) return undefined;
  const keys = Object.keys(attributes)
    .filter((key) => attributes[key] != null)
    .sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((key) => [key, attributes[key]]));
}

/** Document attributes are flat scalars, so a shallow comparison is exact. */
function sameAttributes(a: AttributeMap | undefined, b: AttributeMap | undefined): boolean {
  const aKeys = a ? Object.keys(a) : [];
  const bKeys = b ? Object.keys(b) : [];
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => b !== undefined && a !== undefined && Object.is(a[key], b[key]));
}
