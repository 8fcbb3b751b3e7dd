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
});
