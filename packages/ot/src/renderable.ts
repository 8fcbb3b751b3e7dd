import { type AttributeMap, Delta, type Op } from './delta.js';
import { asTree, type DocumentTree } from './tree/DocumentTree.js';

/**
 * [C12] The line formats the editor draws as the line itself, highest first. A line is one of them at
 * most: two people may set two of them at once (a heading and a list), and both are kept, since neither
 * change names the other's format. The one listed first is the line's; it is also the one Quill shows
 * when it opens such a line, since it applies a line's formats in sorted order and the last one wins.
 */
const lineFormats = ['list', 'header', 'code-block', 'blockquote'] as const;

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

/**
 * [C12] The document as the editor shows it: every line made renderable as `renderableFix` does. One pass
 * over the document, light when nothing needs a fix (the common case, at every load).
 */
export function renderableDocument(document: Delta): Delta {
  const fix = new FixBuilder();
  resolveLines(document.ops, 0, fix);
  return fix.delta === undefined ? document : asTree(document).apply(fix.delta).toDelta();
}

/** The fix of the lines holding the ranges `touched` (in order) of `doc`. */
function fixLines(doc: DocumentTree, touched: Array<[number, number]>): Delta | undefined {
  const lines: Array<[number, number]> = [];
  const last = doc.length() - 1;
  for (const [from, to] of touched) {
    const lastTouched = Math.min(Math.max(from, to - 1), last);
    // Inside the lines already taken (a paste's many formatted pieces): nothing more to find.
    if (lastTouched <= (lines.at(-1)?.[1] ?? -1)) continue;
    const end = doc.lineEnd(lastTouched);
    // Within one line whose formats need no look at its text: nothing to read (typing in a paragraph).
    if (to - from <= 1 && !needsText(doc.attributesAt(end))) continue;
    const start = doc.lineStart(Math.min(from, last));
    const previous = lines.at(-1);
    if (previous !== undefined && start <= previous[1] + 1) previous[1] = Math.max(previous[1], end);
    else lines.push([start, end]);
  }
  const fix = new FixBuilder();
  for (const [start, end] of lines) resolveLines(doc.slice(start, end + 1).ops, start, fix);
  return fix.delta;
}

/** Whether a line with `attributes` on its "\n" may need a fix that depends on its text. */
function needsText(attributes: AttributeMap | undefined): boolean {
  if (attributes === undefined) return false;
  return (
    attributes['code-block'] != null || lineFormats.filter((name) => attributes[name] != null).length > 1
  );
}

/** The fix as a change of the whole document, built from format changes given in order. */
class FixBuilder {
  delta: Delta | undefined;
  #position = 0;

  format(at: number, length: number, formats: AttributeMap): void {
    this.delta ??= new Delta();
    if (at > this.#position) this.delta.retain(at - this.#position);
    this.delta.retain(length, formats);
    this.#position = at + length;
  }
}

/**
 * Gives `fix` the format changes of each whole line in `ops` (inserts of whole lines, the first one at
 * `start` in the document), in order. Formatted text is looked at again only in a code line.
 */
function resolveLines(ops: readonly Op[], start: number, fix: FixBuilder): void {
  let position = start;
  /** Where the current line starts: its op, the offset in that op, the position in the document. */
  let line = { op: 0, offset: 0, position: start };
  let holdsEmbed = false;
  let holdsFormats = false;
  for (const [index, op] of ops.entries()) {
    if (typeof op.insert !== 'string') {
      holdsEmbed = true;
      position += 1;
      continue;
    }
    const text = op.insert;
    let from = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', from)) {
      holdsFormats ||= newline > from && op.attributes !== undefined;
      const { winner, formats } = resolveLine(op.attributes, holdsEmbed);
      if (winner === 'code-block' && holdsFormats) removeTextFormats(ops, line, index, newline, fix);
      if (formats !== undefined) fix.format(position + newline, 1, formats);
      line = { op: index, offset: newline + 1, position: position + newline + 1 };
      holdsEmbed = false;
      holdsFormats = false;
      from = newline + 1;
    }
    holdsFormats ||= from < text.length && op.attributes !== undefined;
    position += text.length;
  }
}

/**
 * The format a line with `attributes` on its "\n" keeps, and the change of those attributes when it holds
 * more than one of `lineFormats` (or a code block and an image).
 */
function resolveLine(
  attributes: AttributeMap | undefined,
  holdsEmbed: boolean,
): { winner?: (typeof lineFormats)[number]; formats?: AttributeMap } {
  if (attributes === undefined) return {};
  const present = lineFormats.filter((name) => attributes[name] != null);
  const shown = holdsEmbed ? present.filter((name) => name !== 'code-block') : present;
  const winner = shown[0];
  if (present.length <= 1 && shown.length === present.length) return { winner };
  const formats: AttributeMap = {};
  for (const name of present) formats[name] = name === winner ? (attributes[name] ?? null) : null;
  return { winner, formats };
}

/** Removes the formats of the text of a code line: from `line` to offset `end` of op `last`. */
function removeTextFormats(
  ops: readonly Op[],
  line: { op: number; offset: number; position: number },
  last: number,
  end: number,
  fix: FixBuilder,
): void {
  let position = line.position;
  for (let index = line.op; index <= last; index++) {
    const op = ops[index] as Op;
    const text = op.insert as string;
    const from = index === line.op ? line.offset : 0;
    const to = index === last ? end : text.length;
    if (to > from && op.attributes !== undefined) {
      fix.format(
        position,
        to - from,
        Object.fromEntries(Object.keys(op.attributes).map((name) => [name, null])),
      );
    }
    position += to - from;
  }
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
