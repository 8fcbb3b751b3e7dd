import type { Delta } from './delta.js';

/** A cursor (length 0) or selection, in document positions. */
export interface Range {
  index: number;
  length: number;
}

/**
 * [C6] Moves a cursor or selection through a concurrent change, so presence stays on the text it
 * pointed at. `isOwnChange` says whether the range's owner made the change: their own insert at the
 * caret pushes the caret past it (they are typing), anyone else's insert leaves it before the new
 * text. This is the rule Quill applies to the local selection, so remote and local cursors agree.
 */
export function transformRange(range: Range, change: Delta, isOwnChange = false): Range {
  const priority = !isOwnChange;
  const index = change.transformPosition(range.index, priority);
  if (range.length <= 0) return { index, length: 0 };
  const end = change.transformPosition(range.index + range.length, priority);
  return { index, length: Math.max(0, end - index) };
}

/**
 * Maps a position after `change` back to the position before it: the reverse of `transformPosition`,
 * for sending a local cursor in server coordinates. A position inside text the change inserted maps
 * to where that text was inserted; a position at deleted text maps to the start of the deletion.
 */
export function untransformPosition(change: Delta, index: number): number {
  let before = 0; // position in the document before the change
  let after = 0; // position in the document after the change
  for (const op of change.ops) {
    if (typeof op.delete === 'number') {
      if (index === after) return before;
      before += op.delete;
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1;
      if (index <= after + length) return before;
      after += length;
    } else {
      const length = typeof op.retain === 'number' ? op.retain : 1;
      if (index <= after + length) return before + (index - after);
      before += length;
      after += length;
    }
  }
  return before + (index - after);
}

/** The range-level counterpart of `untransformPosition`; never yields a negative length. */
export function untransformRange(range: Range, change: Delta): Range {
  const index = untransformPosition(change, range.index);
  if (range.length <= 0) return { index, length: 0 };
  const end = untransformPosition(change, range.index + range.length);
  return { index, length: Math.max(0, end - index) };
}
