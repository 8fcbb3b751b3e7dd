import { describe, expect, it } from 'vitest';
import {
  applyChange,
  Delta,
  documentLength,
  isNoop,
  keepFinalNewline,
  normalizeDocument,
  type Op,
  validateChange,
} from '../src/index.js';
import { deepFreeze } from './support/freeze.js';

describe('documentLength', () => {
  it('[D1] counts characters, embeds and the final newline', () => {
    expect(documentLength(new Delta().insert('ab').insert({ image: 'a.png' }).insert('\n'))).toBe(4);
  });
});

describe('applyChange', () => {
  const cases: [string, Op[], Op[], Op[]][] = [
    ['insert', [{ insert: 'ac\n' }], [{ retain: 1 }, { insert: 'b' }], [{ insert: 'abc\n' }]],
    ['delete', [{ insert: 'abc\n' }], [{ retain: 1 }, { delete: 1 }], [{ insert: 'ac\n' }]],
    [
      'format then unformat merges the text back into one op',
      [{ insert: 'ab', attributes: { bold: true } }, { insert: 'c\n' }],
      [{ retain: 2, attributes: { bold: null } }],
      [{ insert: 'abc\n' }],
    ],
    [
      'formats come out with sorted names',
      [{ insert: 'a', attributes: { size: 1 } }, { insert: '\n' }],
      [{ retain: 1, attributes: { color: 'red', bold: true } }],
      [{ insert: 'a', attributes: { bold: true, color: 'red', size: 1 } }, { insert: '\n' }],
    ],
    [
      'an insert with the neighbours formats merges with them',
      [{ insert: 'ac', attributes: { italic: true, bold: true } }, { insert: '\n' }],
      [{ retain: 1 }, { insert: 'b', attributes: { bold: true, italic: true } }],
      [{ insert: 'abc', attributes: { bold: true, italic: true } }, { insert: '\n' }],
    ],
  ];
  it.each(cases)('[D1] %s', (_, docOps, changeOps, expected) => {
    const result = applyChange(new Delta(docOps), new Delta(changeOps));
    expect(result.ops).toEqual(expected);
    expect(JSON.stringify(result.ops)).toBe(JSON.stringify(expected));
  });

  it('[D1] does not mutate its inputs', () => {
    const doc = deepFreeze(new Delta().insert('ab', { bold: true }).insert('\n'));
    const change = deepFreeze(new Delta().retain(1).insert('x', { italic: true }).retain(1, { bold: null }));
    const before = structuredClone([doc.ops, change.ops]);
    applyChange(doc, change);
    expect([doc.ops, change.ops]).toEqual(before);
  });
});

describe('normalizeDocument', () => {
  it('[D1] returns a canonical document as it is', () => {
    const doc = new Delta().insert('a', { bold: true }).insert('\n');
    expect(normalizeDocument(doc)).toBe(doc);
  });

  it('[D1] drops empty and null formats, orders names and merges text', () => {
    const doc = new Delta([
      { attributes: {}, insert: 'a' },
      { insert: 'b', attributes: { bold: null } },
      { insert: '', attributes: { bold: true } },
      { insert: 'c', attributes: { size: 1, bold: true } },
      { insert: '\n' },
    ]);
    expect(JSON.stringify(normalizeDocument(doc).ops)).toBe(
      JSON.stringify([
        { insert: 'ab' },
        { insert: 'c', attributes: { bold: true, size: 1 } },
        { insert: '\n' },
      ]),
    );
  });
});

describe('isNoop', () => {
  const cases: [string, Op[], boolean][] = [
    ['the empty change', [], true],
    ['a plain retain', [{ retain: 3 }], true],
    ['a retain with empty attributes', [{ retain: 3, attributes: {} }], true],
    ['a format', [{ retain: 3, attributes: { bold: true } }], false],
    ['an insert', [{ insert: 'a' }], false],
    ['a delete', [{ delete: 1 }], false],
  ];
  it.each(cases)('%s -> %s', (_, ops, expected) => {
    expect(isNoop(new Delta(ops))).toBe(expected);
  });
});

describe('keepFinalNewline', () => {
  // "code\n" as a code block, then an empty code line; Enter there turns the last line into a paragraph.
  const doc = new Delta([{ insert: 'code' }, { insert: '\n\n', attributes: { 'code-block': 'plain' } }]);

  it('[C9] rewrites a replace of the final newline as a format of it, with the same result', () => {
    const quillChange = new Delta().retain(5).insert('\n').delete(1);
    const kept = keepFinalNewline(doc, quillChange);
    expect(kept.ops).toEqual([{ retain: 5 }, { retain: 1, attributes: { 'code-block': null } }]);
    expect(applyChange(doc, kept)).toEqual(applyChange(doc, quillChange));
  });

  it('[C9] rewrites an insert after the final newline', () => {
    const change = new Delta().retain(6).insert('x\n');
    const kept = keepFinalNewline(doc, change);
    expect(kept.ops.some((op) => op.delete !== undefined)).toBe(false);
    expect(applyChange(doc, kept)).toEqual(applyChange(doc, change));
  });

  it('[C9] leaves a change that keeps the final newline as it is', () => {
    const change = new Delta().retain(2).delete(3);
    expect(keepFinalNewline(doc, change)).toBe(change);
  });

  it('[C9] text typed concurrently on the last line stays before the final newline', () => {
    const replace = keepFinalNewline(doc, new Delta().retain(5).insert('\n').delete(1));
    const typed = new Delta().retain(5).insert('y');
    for (const replaceWins of [true, false]) {
      const result = applyChange(applyChange(doc, replace), replace.transform(typed, replaceWins));
      const last = result.ops.at(-1)?.insert;
      expect(typeof last === 'string' && last.endsWith('\n')).toBe(true);
      expect(result.ops.map((op) => op.insert).join('')).toBe('code\ny\n');
    }
  });
});

describe('keepFinalNewline next to a surrogate pair', () => {
  // A character diff here, of text with a pair cut in two, once recursed without end (fast-diff).
  const doc = new Delta().insert('😀\na\n');

  it.each([
    ['a replace of the final newline', new Delta().retain(4).insert(' \n').delete(1)],
    ['an insert after it', new Delta().retain(5).insert(' \n')],
    ['a delete of the last line', new Delta().retain(3).delete(2)],
    [
      'an insert inside the pair and a delete of the last line',
      new Delta().retain(1).insert(' ').retain(2).delete(2),
    ],
  ])('[C9] rewrites %s with the same result', (_, change) => {
    const kept = keepFinalNewline(doc, change);
    expect(applyChange(doc, kept)).toEqual(applyChange(doc, change));
    expect(validateChange(kept, doc)).toBeUndefined();
  });
});
