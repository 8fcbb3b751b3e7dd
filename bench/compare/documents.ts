/** The documents the comparison types into: plain text of about 1 KB, and 1 MB of formatted runs. */

const words = 'the quick brown fox jumps over a lazy dog while seven editors type at once '.split(' ');

function text(length: number, seed: number): string {
  let out = '';
  for (let i = seed; out.length < length; i++) out += `${words[i % words.length]} `;
  return out.slice(0, length);
}

/** About 1 KB of plain text in a few paragraphs. */
export function smallDocument(): object[] {
  const paragraphs = Array.from({ length: 8 }, (_, i) => `${text(120, i)}\n`);
  return [{ insert: paragraphs.join('') }];
}

/**
 * About 1 MB in runs of 24 characters, every other one bold or italic, a paragraph every 8 runs:
 * some 42,000 delta ops, like a long formatted document.
 */
export function largeDocument(): object[] {
  const ops: object[] = [];
  let size = 0;
  for (let run = 0; size < 1_000_000; run++) {
    const insert = run % 8 === 7 ? `${text(23, run)}\n` : text(24, run);
    const attributes =
      run % 2 === 0 || run % 8 === 7 ? undefined : run % 4 === 1 ? { bold: true } : { italic: true };
    ops.push(attributes ? { insert, attributes } : { insert });
    size += insert.length;
  }
  ops.push({ insert: '\n' });
  return ops;
}

/** The length of a document made of `ops` (inserts of text only). */
export function lengthOf(ops: readonly object[]): number {
  return ops.reduce((sum, op) => sum + (op as { insert: string }).insert.length, 0);
}
