import { describe, expect, it } from 'vitest';
import { Delta, normalizeDocument, type Op, validateChangeBounds, validateDocument } from '../src/index.js';

/**
 * `normalizeDocument` returns a document already in canonical form as it is, and rebuilds any other: each
 * case isolates one way a document can fail to be canonical, or one way it can be canonical.
 */
describe('normalizeDocument: what counts as canonical', () => {
  const canonical: [string, Op[]][] = [
    ['plain text', [{ insert: 'ab\n' }]],
    [
      'neighbours with different formats',
      [
        { insert: 'a', attributes: { bold: true } },
        { insert: 'b', attributes: { italic: true } },
        { insert: '\n' },
      ],
    ],
    [
      'neighbours with the same format name and another value',
      [
        { insert: 'a', attributes: { bold: true } },
        { insert: 'b', attributes: { bold: false } },
        { insert: '\n' },
      ],
    ],
    ['formatted text before plain text', [{ insert: 'a', attributes: { bold: true } }, { insert: 'b\n' }]],
    ['plain text before formatted text', [{ insert: 'a' }, { insert: 'b\n', attributes: { header: 1 } }]],
    ['text beside an embed', [{ insert: 'a' }, { insert: { image: 'x.png' } }, { insert: '\n' }]],
    [
      'two embeds in a row',
      [{ insert: { image: 'x.png' } }, { insert: { image: 'x.png' } }, { insert: '\n' }],
    ],
    [
      'several format names in order',
      [{ insert: 'a', attributes: { bold: true, color: 'red' } }, { insert: '\n' }],
    ],
  ];
  it.each(canonical)('[D1] %s is returned as it is', (_, ops) => {
    const doc = new Delta(ops);
    expect(normalizeDocument(doc)).toBe(doc);
  });

  const rebuilt: [string, Op[], Op[]][] = [
    ['neighbours with equal formats', [{ insert: 'a' }, { insert: 'b\n' }], [{ insert: 'ab\n' }]],
    ['an empty insert', [{ insert: '' }, { insert: 'a\n' }], [{ insert: 'a\n' }]],
    ['an empty format map', [{ insert: 'a', attributes: {} }, { insert: 'b\n' }], [{ insert: 'ab\n' }]],
    [
      'a null format',
      [
        { insert: 'a', attributes: { bold: null } },
        { insert: '\n', attributes: { header: 1 } },
      ],
      [{ insert: 'a' }, { insert: '\n', attributes: { header: 1 } }],
    ],
    [
      'format names out of order',
      [{ insert: 'a', attributes: { size: 1, bold: true } }, { insert: '\n' }],
      [{ insert: 'a', attributes: { bold: true, size: 1 } }, { insert: '\n' }],
    ],
    [
      'attributes written before the insert',
      [{ attributes: { bold: true }, insert: 'a' }, { insert: '\n' }],
      [{ insert: 'a', attributes: { bold: true } }, { insert: '\n' }],
    ],
  ];
  it.each(rebuilt)('[D1] %s is rebuilt', (_, ops, expected) => {
    const result = normalizeDocument(new Delta(ops));
    expect(JSON.stringify(result.ops)).toBe(JSON.stringify(expected));
  });
});

describe('validation messages name the problem', () => {
  it('[D1] an embed without a type', () => {
    expect(validateDocument(new Delta([{ insert: { '': 'x' } }, { insert: '\n' }]))).toBe(
      'op 0: an embed type must not be empty',
    );
  });

  it('[D1] an op that is not an object, in a change', () => {
    expect(validateChangeBounds(new Delta([null as unknown as Op]), 4)).toBe(
      'op 0: an op must be an object, got null',
    );
  });
});
