import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, Delta, diffDocuments, normalizeDocument } from '../src/index.js';
import { documentArb } from './support/arbitraries.js';
import { runs } from './support/runs.js';

/** Two documents that share a start and an end, as successive versions of one document do. */
const relatedDocumentsArb = fc
  .tuple(documentArb, documentArb, documentArb, documentArb)
  .map(([start, middleA, middleB, end]): [Delta, Delta] => [
    normalizeDocument(start.concat(middleA).concat(end)),
    normalizeDocument(start.concat(middleB).concat(end)),
  ]);

describe('diffDocuments [L1]', () => {
  it('[L1] turns one document into the other exactly, with a character diff or a whole middle', () => {
    fc.assert(
      fc.property(
        fc.oneof(relatedDocumentsArb, fc.tuple(documentArb, documentArb)),
        fc.integer({ min: 0, max: 6 }),
        ([from, to], maxMiddle) => {
          expect(applyChange(from, diffDocuments(from, to, maxMiddle))).toEqual(normalizeDocument(to));
        },
      ),
      { numRuns: runs(2000) },
    );
  });

  it('[L1] within the bound, it is exactly Delta.diff', () => {
    fc.assert(
      fc.property(relatedDocumentsArb, ([from, to]) => {
        expect(diffDocuments(from, to)).toEqual(from.diff(to));
      }),
    );
  });

  it('[L1] past the bound, it keeps the shared start and end (formats included) and replaces the middle whole', () => {
    const from = new Delta().insert('Title', { bold: true }).insert(`\n${'a'.repeat(50)}tail\n`);
    const to = new Delta().insert('Title', { bold: true }).insert(`\n${'b'.repeat(60)}tail\n`);
    expect(diffDocuments(from, to, 10).ops).toEqual([
      { retain: 6 },
      { insert: 'b'.repeat(60) },
      { delete: 50 },
    ]);
    const reformatted = new Delta().insert('Title').insert(`\n${'b'.repeat(60)}tail\n`);
    expect(diffDocuments(from, reformatted, 10).ops).toEqual([
      { insert: `Title\n${'b'.repeat(60)}` },
      { delete: 56 },
    ]);
  });

  it('[L1] two unrelated texts far larger than the bound are replaced, not compared character by character', () => {
    const text = (seed: number) =>
      Array.from({ length: 20_000 }, (_, i) => 'abcdefgh \n'[(i * seed + (i >> 3)) % 10]).join('');
    const from = new Delta().insert(`${text(7)}\n`);
    const to = new Delta().insert(`${text(3)}\n`);
    const change = diffDocuments(from, to);
    expect(change.ops.filter((op) => op.delete !== undefined)).toHaveLength(1);
    expect(applyChange(from, change)).toEqual(to);
  });

  it('[L1] never splits a surrogate pair between what it keeps and what it replaces', () => {
    const from = new Delta().insert('ab\u{1F600}cd\u{1F601}ef\n');
    const to = new Delta().insert('ab\u{1F602}cd\u{1F603}ef\n');
    const change = diffDocuments(from, to, 0);
    expect(change.ops).toEqual([{ retain: 2 }, { insert: '\u{1F602}cd\u{1F603}' }, { delete: 6 }]);
    expect(applyChange(from, change)).toEqual(to);
  });

  it('[L1] past the bound, the kept start and end are exactly what both documents share (characters and formats)', () => {
    fc.assert(
      fc.property(relatedDocumentsArb, ([from, to]) => {
        const a = positions(from);
        const b = positions(to);
        if (JSON.stringify(a) === JSON.stringify(b)) return;
        let prefix = 0;
        while (prefix < Math.min(a.length, b.length) && a[prefix] === b[prefix]) prefix++;
        let suffix = 0;
        const most = Math.min(a.length, b.length) - prefix;
        while (suffix < most && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
        const expected = new Delta()
          .retain(prefix)
          .delete(a.length - prefix - suffix)
          .concat(to.slice(prefix, b.length - suffix));
        expect(diffDocuments(from, to, 0)).toEqual(expected);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('[L1] the bound holds on both sides: a middle of exactly maxMiddle is compared, one more is replaced', () => {
    // Middles of 8 and 9 that share a word: a character diff keeps it, a whole replace does not.
    const from = new Delta().insert('abqCOMMONwcd\n');
    const same = new Delta().insert('abrCOMMONvcd\n');
    const longer = new Delta().insert('abrCOMMONxvcd\n');
    expect(diffDocuments(from, same, 8)).toEqual(from.diff(same));
    expect(diffDocuments(same, from, 8)).toEqual(same.diff(from));
    expect(from.diff(longer)).not.toEqual(new Delta().retain(2).insert('rCOMMONxv').delete(8));
    expect(diffDocuments(from, longer, 8)).toEqual(new Delta().retain(2).insert('rCOMMONxv').delete(8));
    expect(diffDocuments(longer, from, 8)).toEqual(new Delta().retain(2).insert('qCOMMONw').delete(9));
  });

  it('[L1] surrogate halves at every edge of their ranges are never split from their pair', () => {
    for (const [high, low] of [
      ['\uD800', '\uDC00'],
      ['\uDBFF', '\uDFFF'],
    ] as const) {
      // The documents differ right after a high surrogate, and right before a low one.
      const from = new Delta().insert(`a${high}${low}b${high}${low}c\n`);
      const to = new Delta().insert(`a${high}\uDC01b${high}${low}c\n`.replace(`b${high}`, `b\uDBFE`));
      const change = diffDocuments(from, to, 0);
      expect(applyChange(from, change)).toEqual(to);
      const inserted = change.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
      expect(
        inserted.startsWith(high),
        `the replaced middle starts with the whole pair: ${JSON.stringify(change.ops)}`,
      ).toBe(true);
      expect(inserted.endsWith(low)).toBe(true);
    }
    // Just outside the ranges, a code unit is no surrogate: nothing is given back.
    const plain = new Delta().insert('a\uD7FFb\uE000c\n');
    const other = new Delta().insert('a\uD7FFx\uE000c\n');
    expect(diffDocuments(plain, other, 0)).toEqual(new Delta().retain(2).insert('x').delete(1));
  });
});

describe('diffDocuments compares embeds and formats at both ends [L1]', () => {
  const image = (url: string) => ({ image: `https://example.com/${url}.png` });
  const cases: [string, Delta, Delta, number, number][] = [
    // [what, from, to, shared start, shared end]
    [
      'the same embed',
      new Delta().insert(image('a')).insert('x\n'),
      new Delta().insert(image('a')).insert('y\n'),
      1,
      1,
    ],
    [
      'another embed',
      new Delta().insert(image('a')).insert('x\n'),
      new Delta().insert(image('b')).insert('x\n'),
      0,
      2,
    ],
    ['an embed and text', new Delta().insert(image('a')).insert('x\n'), new Delta().insert('ax\n'), 0, 2],
    ['text and an embed', new Delta().insert('ax\n'), new Delta().insert(image('a')).insert('x\n'), 0, 2],
    [
      'other formats',
      new Delta().insert('x', { bold: true }).insert('y\n'),
      new Delta().insert('x', { italic: true }).insert('z\n'),
      0,
      1,
    ],
    [
      'more formats',
      new Delta().insert('x', { bold: true }).insert('y\n'),
      new Delta().insert('x', { bold: true, italic: true }).insert('z\n'),
      0,
      1,
    ],
    [
      'formats and none',
      new Delta().insert('x').insert('y\n'),
      new Delta().insert('x', { bold: true }).insert('z\n'),
      0,
      1,
    ],
    [
      'none and formats',
      new Delta().insert('x', { bold: true }).insert('y\n'),
      new Delta().insert('x').insert('z\n'),
      0,
      1,
    ],
    [
      'runs cut differently',
      new Delta().insert('ab').insert('cd', { bold: true }).insert('ef\n'),
      new Delta().insert('abX').insert('d', { bold: true }).insert('ef\n'),
      2,
      4,
    ],
    [
      'an embed at the end',
      new Delta().insert('x').insert(image('a')).insert('\n'),
      new Delta().insert('y').insert(image('a')).insert('\n'),
      0,
      2,
    ],
    [
      'another embed at the end',
      new Delta().insert('x').insert(image('a')).insert('\n'),
      new Delta().insert('x').insert(image('b')).insert('\n'),
      1,
      1,
    ],
  ];
  for (const [what, from, to, start, end] of cases) {
    it(`[L1] ${what}: keeps ${start} at the start and ${end} at the end`, () => {
      const change = diffDocuments(from, to, 0);
      const expected = new Delta()
        .retain(start)
        .delete(from.length() - start - end)
        .concat(to.slice(start, to.length() - end));
      expect(change).toEqual(expected);
      expect(applyChange(from, change)).toEqual(normalizeDocument(to));
    });
  }
});

/** Each position of a document as its character (or embed) and its formats, comparable with ===. */
function positions(doc: Delta): string[] {
  const out: string[] = [];
  for (const op of doc.ops) {
    const formats = JSON.stringify(op.attributes ?? {});
    if (typeof op.insert === 'string') for (const char of op.insert.split('')) out.push(`${char}${formats}`);
    else out.push(`${JSON.stringify(op.insert)}${formats}`);
  }
  return out;
}
