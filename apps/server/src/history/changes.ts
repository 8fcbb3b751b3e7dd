import { Delta, type Op } from '@collab/ot';

/** An op of the history with the author it is shown under. */
export interface AuthoredChange {
  readonly delta: Delta;
  readonly authorId: string;
}

/** Attribute keys of the marked text [H1]; their value is the author's id. */
export const insertMark = 'historyInsert';
export const deleteMark = 'historyDelete';

type Attributes = Record<string, unknown>;

function lengthOf(op: Op): number {
  return typeof op.insert === 'string' ? op.insert.length : 1;
}

function isDeleted(op: Op): boolean {
  return op.attributes?.[deleteMark] !== undefined;
}

/** The first `length` characters of an insert, and the rest. */
function split(op: Op, length: number): [Op, Op | undefined] {
  if (typeof op.insert !== 'string' || length >= op.insert.length) return [op, undefined];
  return [
    { ...op, insert: op.insert.slice(0, length) },
    { ...op, insert: op.insert.slice(length) },
  ];
}

function withAttributes(op: Op, changes: Attributes | undefined): Op {
  if (!changes) return op;
  const merged: Attributes = { ...op.attributes };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  const { attributes: _old, ...rest } = op;
  return Object.keys(merged).length > 0 ? { ...rest, attributes: merged as Op['attributes'] } : rest;
}

/**
 * The document `base` with `changes` applied, where inserted text is marked with its author and deleted
 * text is kept, marked with the author who deleted it; text inserted and deleted within `changes` is
 * dropped. One pass over the marked document per change, so the cost follows the number of changes
 * times the number of marked runs, not the document's size in characters.
 */
export function markChanges(base: Delta, changes: readonly AuthoredChange[]): Delta {
  let marked: Op[] = base.ops.map((op) => ({ ...op }));
  for (const { delta, authorId } of changes) {
    const next: Op[] = [];
    let index = 0;
    let pending: Op | undefined;
    /** The next run of visible text, at most `length` long; deleted runs on the way are copied as they are. */
    const take = (length: number): Op | undefined => {
      for (;;) {
        const op = pending ?? marked[index++];
        pending = undefined;
        if (op === undefined) return undefined;
        if (isDeleted(op)) {
          next.push(op);
          continue;
        }
        const [head, rest] = split(op, length);
        pending = rest;
        return head;
      }
    };
    for (const op of delta.ops) {
      if (op.insert !== undefined) {
        next.push(
          withAttributes(
            { insert: op.insert, ...(op.attributes ? { attributes: op.attributes } : {}) },
            {
              [insertMark]: authorId,
            },
          ),
        );
        continue;
      }
      let remaining = op.retain !== undefined ? (op.retain as number) : (op.delete ?? 0);
      while (remaining > 0) {
        const run = take(remaining);
        if (run === undefined) break;
        remaining -= lengthOf(run);
        if (op.retain !== undefined) next.push(withAttributes(run, op.attributes as Attributes | undefined));
        else if (run.attributes?.[insertMark] === undefined) {
          next.push(withAttributes(run, { [deleteMark]: authorId }));
        }
      }
    }
    if (pending) next.push(pending);
    while (index < marked.length) next.push(marked[index++] as Op);
    marked = next;
  }
  // Delta's constructor does not merge neighbours; composing onto an empty delta does.
  return new Delta().compose(new Delta(marked));
}
