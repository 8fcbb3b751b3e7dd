import { type AttributeMap, Delta, type Op } from './delta.js';
import { asTree, type DocumentTree } from './tree/DocumentTree.js';
import { canonicalAttributes, composeAttributes, isCanonicalAttributes } from './tree/runs.js';

/** The length a change must stay inside ([D1]: every character and embed counts, the final "\n" too). */
export function documentLength(doc: Delta): number {
  return doc.length();
}

/**
 * Applies a change to a document and normalises the result, so that two routes to the same text give
 * deep-equal (and JSON-identical) documents. The change must have passed `validateChange`. For a document
 * kept open across edits, hold a `DocumentTree` and `apply` changes to it instead: this costs O(n).
 */
export function applyChange(doc: Delta, change: Delta): Delta {
  return asTree(doc).apply(change).toDelta();
}

/**
 * [C9] The same change in a form that keeps the document's final "\n" in place: a valid change that
 * deletes it (leaving another "\n" last) or inserts after it is rewritten to make the same edit before
 * the final "\n" (what it inserted at or after it is inserted just before it, and when it deleted it, the
 * "\n" that becomes last is deleted instead), plus the change of the final line's formats. The result is
 * unchanged; what changes is how the edit transforms against concurrent ones: text another person types
 * on the last line then stays before the final "\n" instead of landing after it. Clients send changes in
 * this form and the server commits them in it. O(change · log n).
 */
export function keepFinalNewline(document: DocumentTree | Delta, change: Delta): Delta {
  const doc = asTree(document);
  const last = doc.length() - 1;
  if (!movesFinalNewline(last, change)) return change;
  const finalFormats = doc.attributesAt(last);
  // `before`: the change on the text before the final "\n"; `tail`: what it leaves from there on.
  const before: Op[] = [];
  const tail: Op[] = [];
  let index = 0;
  for (const op of change.ops) {
    if (op.insert !== undefined) {
      (index < last ? before : tail).push(op);
      continue;
    }
    const count = typeof op.retain === 'number' ? op.retain : (op.delete ?? 0);
    const inside = Math.min(count, last - index);
    if (inside > 0)
      before.push({ ...op, ...(op.delete === undefined ? { retain: inside } : { delete: inside }) });
    if (index + count > last && op.retain !== undefined) {
      const attributes = composeAttributes(finalFormats, op.attributes);
      tail.push(attributes ? { insert: '\n', attributes } : { insert: '\n' });
    }
    index += count;
  }
  // The result's last character becomes the kept final "\n" (validation saw that it is a "\n").
  const end = tail.length > 0 ? takeLastInsert(tail) : takeLastOutput(doc, before);
  const kept = new Delta();
  for (const op of before) kept.push(op);
  for (const op of tail) kept.push(op);
  const formats = attributesChange(finalFormats, end);
  return formats === undefined ? kept.chop() : kept.retain(1, formats).chop();
}

/** Removes the last character of the last insert in `ops`; returns its formats. */
function takeLastInsert(ops: Op[]): AttributeMap | undefined {
  const op = ops.pop() as Op;
  const text = op.insert as string;
  if (text.length > 1) ops.push({ ...op, insert: text.slice(0, -1) });
  return canonicalAttributes(op.attributes);
}

/**
 * The change ends by deleting the final "\n" and inserts nothing after it: the last character it leaves
 * is inserted or retained earlier. Deletes it instead (its insert shortened, or the retain's last
 * position deleted); returns its formats in the result.
 */
function takeLastOutput(doc: DocumentTree, ops: Op[]): AttributeMap | undefined {
  let position = 0;
  let lastOutput = -1;
  let end = 0;
  for (const [i, op] of ops.entries()) {
    if (op.insert === undefined) position += typeof op.retain === 'number' ? op.retain : (op.delete ?? 0);
    if (op.delete === undefined) {
      lastOutput = i;
      end = position;
    }
  }
  const op = ops[lastOutput] as Op;
  if (op.insert !== undefined) {
    const taken = [op];
    const formats = takeLastInsert(taken);
    ops.splice(lastOutput, 1, ...taken);
    return formats;
  }
  const retain = op.retain as number;
  const shortened: Op[] = retain > 1 ? [{ ...op, retain: retain - 1 }] : [];
  ops.splice(lastOutput, 1, ...shortened, { delete: 1 });
  return composeAttributes(doc.attributesAt(end - 1), op.attributes);
}

function movesFinalNewline(last: number, change: Delta): boolean {
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

/** Document attributes are flat scalars, so a shallow comparison is exact. */
function sameAttributes(a: AttributeMap | undefined, b: AttributeMap | undefined): boolean {
  const aKeys = a ? Object.keys(a) : [];
  const bKeys = b ? Object.keys(b) : [];
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => b !== undefined && a !== undefined && Object.is(a[key], b[key]));
}
