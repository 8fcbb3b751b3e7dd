import type { Delta } from './delta.js';
import { asTree, type DocumentTree } from './tree/DocumentTree.js';

/*
 * Validation is the gate in front of the op log: nothing that fails here is ever stored [D1].
 * Deltas arrive from the network, so every check is defensive about shapes the types already promise.
 * Reasons are short and name the op ("op 3: ...") so a refused client can be told what was wrong.
 */

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** `allowNull`: a retain may set a format to null to remove it; a document or an insert never holds null. */
function checkAttributes(attributes: unknown, allowNull: boolean): string | undefined {
  if (attributes === undefined) return undefined;
  if (!isPlainObject(attributes)) return `attributes must be an object, got ${describe(attributes)}`;
  for (const [key, value] of Object.entries(attributes)) {
    if (key === '') return 'attribute names must not be empty';
    if (value === null) {
      if (!allowNull) return `attribute "${key}" is null (null only removes a format in a retain)`;
    } else if (!isScalar(value)) {
      return `attribute "${key}" must be a string, number or boolean, got ${describe(value)}`;
    }
  }
  return undefined;
}

function checkInsert(insert: unknown): string | undefined {
  if (typeof insert === 'string') return insert === '' ? 'insert must not be empty' : undefined;
  if (!isPlainObject(insert)) return `insert must be a string or an embed object, got ${describe(insert)}`;
  const keys = Object.keys(insert);
  if (keys.length !== 1) return `an embed must have exactly one key, got ${keys.length}`;
  const [key] = keys as [string];
  if (key === '') return 'an embed type must not be empty';
  if (!isScalar(insert[key])) {
    return `embed "${key}" must hold a string, number or boolean, got ${describe(insert[key])}`;
  }
  return undefined;
}

function checkKeys(op: Json, allowed: readonly string[]): string | undefined {
  const extra = Object.keys(op).find((key) => !allowed.includes(key));
  return extra === undefined ? undefined : `unexpected key "${extra}"`;
}

function checkOps(delta: Delta): string | undefined {
  if (!isPlainObject(delta) || !Array.isArray(delta.ops)) return 'a delta must have an ops array';
  return undefined;
}

/**
 * [D1] Checks that a delta is a document: inserts only, non-empty, ending in "\n", with scalar
 * attributes and one-key embeds. Returns undefined when valid, else the reason.
 */
export function validateDocument(doc: Delta): string | undefined {
  const shape = checkOps(doc);
  if (shape) return shape;
  if (doc.ops.length === 0) return 'a document must not be empty (it ends in "\\n")';
  for (const [i, op] of doc.ops.entries()) {
    const reason = checkDocumentOp(op);
    if (reason) return `op ${i}: ${reason}`;
  }
  const last = doc.ops[doc.ops.length - 1]?.insert;
  if (typeof last !== 'string' || !last.endsWith('\n')) return 'a document must end with "\\n"';
  return undefined;
}

function checkDocumentOp(op: unknown): string | undefined {
  if (!isPlainObject(op)) return `an op must be an object, got ${describe(op)}`;
  if (!('insert' in op)) return 'a document holds inserts only';
  return (
    checkKeys(op, ['insert', 'attributes']) ?? checkInsert(op.insert) ?? checkAttributes(op.attributes, false)
  );
}

/**
 * [C9] Checks that a change applies to `document` and that the result is a document: every op stays
 * inside the document, and the result is non-empty and ends in "\n". The result is what counts, not the
 * delta's shape: a change may delete the final "\n" when it leaves another one last (Quill does this
 * when a line format changes on the last line). Returns undefined when valid, else the reason.
 * O(change · log n) on a `DocumentTree`; a Delta is read whole.
 */
export function validateChange(change: Delta, document: DocumentTree | Delta): string | undefined {
  const doc = asTree(document);
  const bounds = walkChange(change, doc.length());
  if (typeof bounds === 'string') return bounds;
  return checkResultEnd(bounds, doc);
}

/**
 * The shape and bounds part of `validateChange`, for when only the length of the document the change was
 * made on is known (a submission checked at its base version before it is rebased). The result is checked
 * by `validateChange` against the document it is applied to.
 */
export function validateChangeBounds(change: Delta, documentLength: number): string | undefined {
  const bounds = walkChange(change, documentLength);
  return typeof bounds === 'string' ? bounds : undefined;
}

/** What the last op of the result comes from: an insert, or document text retained up to `retainedTo`. */
type Tail = { readonly insert: unknown } | { readonly retainedTo: number } | undefined;

interface Walked {
  /** How much of the document the explicit ops cover; the rest is retained as is. */
  readonly covered: number;
  readonly tail: Tail;
}

function walkChange(change: Delta, documentLength: number): Walked | string {
  const shape = checkOps(change);
  if (shape) return shape;
  if (!isCount(documentLength)) return 'the document length must be a positive integer';
  let index = 0; // position in the document the change is applied to
  let tail: Tail;
  for (const [i, op] of change.ops.entries()) {
    const reason = checkChangeOp(op, index, documentLength);
    if (typeof reason === 'string') return `op ${i}: ${reason}`;
    const { insert, retain } = op as { insert?: unknown; retain?: unknown };
    if (insert !== undefined) tail = { insert };
    else if (retain !== undefined) tail = { retainedTo: reason };
    index = reason;
  }
  return { covered: index, tail };
}

function checkResultEnd({ covered, tail }: Walked, document: DocumentTree): string | undefined {
  const length = document.length();
  // The final "\n" is left in place by every change that stops short of it.
  if (covered < length) return undefined;
  if (tail === undefined) return 'the change would leave the document empty (it must end with "\\n")';
  if ('insert' in tail) {
    return typeof tail.insert === 'string' && tail.insert.endsWith('\n')
      ? undefined
      : 'the document would not end with "\\n"';
  }
  if (tail.retainedTo === length) return undefined;
  return document.insertAt(tail.retainedTo - 1) === '\n'
    ? undefined
    : 'the document would not end with "\\n"';
}

/** Returns the position after the op, or the reason the op is invalid. */
function checkChangeOp(op: unknown, index: number, length: number): string | number {
  if (!isPlainObject(op)) return `an op must be an object, got ${describe(op)}`;
  const kinds = ['insert', 'retain', 'delete'].filter((kind) => kind in op);
  if (kinds.length !== 1) return 'an op must have exactly one of insert, retain or delete';
  if ('insert' in op) {
    const reason =
      checkKeys(op, ['insert', 'attributes']) ??
      checkInsert(op.insert) ??
      checkAttributes(op.attributes, false);
    if (reason) return reason;
    return index;
  }
  if ('retain' in op) {
    const reason = checkKeys(op, ['retain', 'attributes']);
    if (reason) return reason;
    if (isPlainObject(op.retain)) return 'retaining an embed with changes is not supported';
    if (!isCount(op.retain)) return `retain must be a positive integer, got ${String(op.retain)}`;
    const attributes = checkAttributes(op.attributes, true);
    if (attributes) return attributes;
    const end = index + op.retain;
    if (end > length) return `retain goes past the end of the document (length ${length})`;
    return end;
  }
  const reason = checkKeys(op, ['delete']);
  if (reason) return reason;
  if (!isCount(op.delete)) return `delete must be a positive integer, got ${String(op.delete)}`;
  const end = index + op.delete;
  if (end > length) return `delete goes past the end of the document (length ${length})`;
  return end;
}
