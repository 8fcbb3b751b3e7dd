import { type AttributeMap, Delta } from './delta.js';
import { asTree, type DocumentTree } from './tree/DocumentTree.js';

/**
 * [C12] The line formats the editor draws as the line itself, highest first. A line is one of them at
 * most: two people may set two of them at once (a heading and a list), and both are kept, since neither
 * change names the other's format. The one listed first is the line's; it is also the one Quill shows
 * when it opens such a line, since it applies a line's formats in sorted order and the last one wins.
 */
export const lineFormats = ['list', 'header', 'code-block', 'blockquote'] as const;

/**
 * [C12] The change that makes every line the change touched into one the editor shows as it is stored,
 * or undefined when each already is. Three things cannot be shown, and each is resolved one way:
 * - a line holding more than one line format is the first of `lineFormats` (set again, so that an
 *   editor showing another one switches), the others removed;
 * - a code block holds plain text only: the formats of text in a code line are removed (Quill drops
 *   them on screen; kept, they would reappear when the line stops being code);
 * - a code block holds no image: a code line holding one stops being code (Quill would remove the
 *   image, and with it a position every later change counts).
 * `document` is the result of `change`. The same change is computed from the same document everywhere,
 * so two editors or servers resolving one line agree. Costs the change plus the lines it touched.
 */
export function renderableFix(document: DocumentTree | Delta, change: Delta): Delta | undefined {
  return fixLines(asTree(document), touchedBy(change));
}

/** [C12] The document as the editor shows it: every line made renderable as `renderableFix` does. O(n). */
export function renderableDocument(document: Delta): Delta {
  const doc = asTree(document);
  const fix = fixLines(doc, [[0, doc.length()]]);
  return fix === undefined ? document : doc.apply(fix).toDelta();
}

/** The fix of the lines holding the ranges `touched` (in order) of `doc`. */
function fixLines(doc: DocumentTree, touched: Array<[number, number]>): Delta | undefined {
  const lines: Array<[number, number]> = [];
  for (const [from, to] of touched) {
    const last = doc.length() - 1;
    const start = doc.lineStart(Math.min(from, last));
    const end = doc.lineEnd(Math.min(Math.max(from, to - 1), last));
    const previous = lines.at(-1);
    if (previous !== undefined && start <= previous[1] + 1) previous[1] = Math.max(previous[1], end);
    else lines.push([start, end]);
  }
  const fix = new Delta();
  let position = 0;
  for (const [start, end] of lines) {
    let index = start;
    doc.slice(start, end + 1).eachLine((line, attributes) => {
      for (const [offset, length, formats] of lineChanges(line, attributes)) {
        if (index + offset > position) fix.retain(index + offset - position);
        fix.retain(length, formats);
        position = index + offset + length;
      }
      index += line.length() + 1;
    });
  }
  return fix.ops.length === 0 ? undefined : fix;
}

/**
 * The ranges of the result a change inserted or formatted, in order; where it deleted, the empty range
 * at that place (deleting a "\n" joins two lines into one that may hold both's formats). Plain text
 * inserted is left out: it fits any line, and a plain "\n" makes a plain line.
 */
function touchedBy(change: Delta): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let position = 0;
  for (const op of change.ops) {
    if (op.delete !== undefined) {
      ranges.push([position, position]);
      continue;
    }
    const text = typeof op.insert === 'string';
    const length = text ? (op.insert as string).length : op.insert !== undefined ? 1 : (op.retain as number);
    if (op.attributes !== undefined || (op.insert !== undefined && !text))
      ranges.push([position, position + length]);
    position += length;
  }
  return ranges;
}

/** The format changes one line needs, as `[offset in the line, length, formats]`, in order. */
function lineChanges(line: Delta, attributes: AttributeMap): Array<[number, number, AttributeMap]> {
  const present = lineFormats.filter((name) => attributes[name] != null);
  const holdsEmbed = line.ops.some((op) => typeof op.insert !== 'string');
  const shown = holdsEmbed ? present.filter((name) => name !== 'code-block') : present;
  const changes: Array<[number, number, AttributeMap]> = [];
  const winner = shown[0];
  if (winner === 'code-block') {
    let offset = 0;
    for (const op of line.ops) {
      const length = (op.insert as string).length;
      if (op.attributes !== undefined) {
        changes.push([
          offset,
          length,
          Object.fromEntries(Object.keys(op.attributes).map((name) => [name, null])),
        ]);
      }
      offset += length;
    }
  }
  if (present.length > 1 || shown.length < present.length) {
    const formats: AttributeMap = {};
    for (const name of present) formats[name] = name === winner ? (attributes[name] ?? null) : null;
    changes.push([line.length(), 1, formats]);
  }
  return changes;
}
