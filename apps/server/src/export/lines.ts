import type { Op } from '@collab/protocol';

type Attributes = Record<string, string | number | boolean | null>;

/** A run of text, or an embed, with its inline formats. */
export interface Inline {
  readonly insert: string | Record<string, unknown>;
  readonly attributes: Attributes;
}

/** One line of a document: its inline content and its line formats (header, list, align …). */
export interface Line {
  readonly inlines: Inline[];
  readonly attributes: Attributes;
}

/** Splits a document (inserts ending in "\n") into lines, the unit of Quill's block formats. */
export function linesOf(ops: readonly Op[]): Line[] {
  const lines: Line[] = [];
  let inlines: Inline[] = [];
  for (const op of ops) {
    if (!('insert' in op)) continue;
    const attributes = op.attributes ?? {};
    if (typeof op.insert !== 'string') {
      inlines.push({ insert: op.insert, attributes });
      continue;
    }
    const parts = op.insert.split('\n');
    parts.forEach((part, index) => {
      if (part !== '') inlines.push({ insert: part, attributes });
      if (index < parts.length - 1) {
        lines.push({ inlines, attributes });
        inlines = [];
      }
    });
  }
  if (inlines.length > 0) lines.push({ inlines, attributes: {} });
  return lines;
}

/** The text of a line, embeds left out. */
export function textOf(line: Line): string {
  return line.inlines.map((inline) => (typeof inline.insert === 'string' ? inline.insert : '')).join('');
}

/** The document's title: its first line with text, as Google Docs names an untitled document. */
export function titleOf(ops: readonly Op[]): string {
  const first = linesOf(ops)
    .map((line) => textOf(line).trim())
    .find((text) => text !== '');
  return first === undefined ? 'Untitled document' : first.slice(0, 100);
}
