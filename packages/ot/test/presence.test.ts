import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Delta, type Range, transformRange, untransformPosition, untransformRange } from '../src/index.js';
import { concurrentChangesArb } from './support/arbitraries.js';
import { runs } from './support/runs.js';

// On "abcdef\n".
const insertAt = (index: number, text: string) => new Delta().retain(index).insert(text);
const deleteAt = (index: number, length: number) => new Delta().retain(index).delete(length);

describe('transformRange', () => {
  const cases: [string, Range, Delta, boolean, Range][] = [
    [
      'caret before an insert stays',
      { index: 2, length: 0 },
      insertAt(4, 'XY'),
      false,
      { index: 2, length: 0 },
    ],
    [
      'caret after an insert moves',
      { index: 4, length: 0 },
      insertAt(1, 'XY'),
      false,
      { index: 6, length: 0 },
    ],
    [
      "caret at someone else's insert stays before it",
      { index: 2, length: 0 },
      insertAt(2, 'XY'),
      false,
      { index: 2, length: 0 },
    ],
    [
      'caret at its own insert moves past it',
      { index: 2, length: 0 },
      insertAt(2, 'XY'),
      true,
      { index: 4, length: 0 },
    ],
    [
      'selection grows around an insert inside',
      { index: 1, length: 3 },
      insertAt(2, 'XY'),
      false,
      { index: 1, length: 5 },
    ],
    [
      'selection ignores an insert at its end',
      { index: 1, length: 3 },
      insertAt(4, 'XY'),
      false,
      { index: 1, length: 3 },
    ],
    [
      'selection moves with a delete before it',
      { index: 4, length: 1 },
      deleteAt(0, 2),
      false,
      { index: 2, length: 1 },
    ],
    [
      'selection inside a deleted range collapses',
      { index: 2, length: 2 },
      deleteAt(1, 4),
      false,
      { index: 1, length: 0 },
    ],
    [
      'selection loses a deleted start',
      { index: 2, length: 3 },
      deleteAt(1, 2),
      false,
      { index: 1, length: 2 },
    ],
    [
      'selection loses a deleted end',
      { index: 1, length: 3 },
      deleteAt(3, 3),
      false,
      { index: 1, length: 2 },
    ],
    [
      'a format change moves nothing',
      { index: 1, length: 2 },
      new Delta().retain(4, { bold: true }),
      false,
      { index: 1, length: 2 },
    ],
  ];
  it.each(cases)('[C6] %s', (_, range, change, isOwnChange, expected) => {
    expect(transformRange(range, change, isOwnChange)).toEqual(expected);
  });

  it('[C6] keeps ranges inside the document and lengths non-negative', () => {
    fc.assert(
      fc.property(
        concurrentChangesArb,
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        ({ doc, a }, start, length, own) => {
          const docLength = doc.length();
          const index = start % docLength;
          const range = transformRange({ index, length: length % (docLength - index + 1) }, a, own);
          const after = doc.compose(a).length();
          expect(range.length).toBeGreaterThanOrEqual(0);
          expect(range.index + range.length).toBeLessThanOrEqual(after);
        },
      ),
      { numRuns: runs(300) },
    );
  });
});

describe('untransformPosition', () => {
  const cases: [string, Delta, number, number][] = [
    ['before an insert', insertAt(2, 'XY'), 1, 1],
    ['inside an insert: where it went in', insertAt(2, 'XY'), 3, 2],
    ['after an insert', insertAt(2, 'XY'), 5, 3],
    ['at a delete: its start', deleteAt(1, 2), 1, 1],
    ['after a delete', deleteAt(1, 2), 2, 4],
    ['past the last op', deleteAt(0, 1), 5, 6],
  ];
  it.each(cases)('[C6] %s', (_, change, index, expected) => {
    expect(untransformPosition(change, index)).toBe(expected);
  });

  it('[C6] undoes transformPosition for changes that delete nothing', () => {
    fc.assert(
      fc.property(concurrentChangesArb, fc.nat(), ({ doc, a }, position) => {
        const inserts = new Delta(a.ops.filter((op) => op.delete === undefined));
        const index = position % doc.length();
        expect(untransformPosition(inserts, inserts.transformPosition(index, true))).toBe(index);
      }),
      { numRuns: runs(300) },
    );
  });

  it('[C6] maps a selection back, never with a negative length', () => {
    expect(untransformRange({ index: 1, length: 4 }, insertAt(2, 'XY'))).toEqual({ index: 1, length: 2 });
    expect(untransformRange({ index: 2, length: 1 }, insertAt(2, 'XY'))).toEqual({ index: 2, length: 0 });
  });
});
