import { describe, expect, it } from 'vitest';
import { Delta, type Op, validateChange, validateChangeBounds, validateDocument } from '../src/index.js';

const doc = (ops: unknown[]) => new Delta(ops as Op[]);

describe('validateDocument', () => {
  const valid: [string, unknown[]][] = [
    ['the empty document', [{ insert: '\n' }]],
    ['text', [{ insert: 'Hello\nworld\n' }]],
    [
      'formatted text',
      [{ insert: 'Hi', attributes: { bold: true, size: 2, color: 'red' } }, { insert: '\n' }],
    ],
    ['false as a format value', [{ insert: 'Hi', attributes: { bold: false } }, { insert: '\n' }]],
    ['an embed', [{ insert: { image: 'a.png' }, attributes: { width: 20 } }, { insert: '\n' }]],
    ['line formats on the final newline', [{ insert: 'Title' }, { insert: '\n', attributes: { header: 1 } }]],
  ];
  it.each(valid)('[D1] accepts %s', (_, ops) => {
    expect(validateDocument(doc(ops))).toBeUndefined();
  });

  const invalid: [string, unknown, string][] = [
    ['no ops', { ops: [] }, 'must not be empty'],
    ['ops that are not an array', { ops: 'abc' }, 'ops array'],
    ['text not ending in a newline', { ops: [{ insert: 'abc' }] }, 'end with "\\n"'],
    ['an embed last', { ops: [{ insert: 'a\n' }, { insert: { image: 'a.png' } }] }, 'end with "\\n"'],
    ['a retain', { ops: [{ retain: 1 }, { insert: '\n' }] }, 'op 0: a document holds inserts only'],
    ['a delete', { ops: [{ insert: '\n' }, { delete: 1 }] }, 'op 1: a document holds inserts only'],
    ['an empty insert', { ops: [{ insert: '' }, { insert: '\n' }] }, 'insert must not be empty'],
    ['a number insert', { ops: [{ insert: 5 }, { insert: '\n' }] }, 'insert must be a string or an embed'],
    [
      'a null format',
      { ops: [{ insert: 'a', attributes: { bold: null } }, { insert: '\n' }] },
      '"bold" is null',
    ],
    [
      'an object format value',
      { ops: [{ insert: 'a', attributes: { bold: { x: 1 } } }, { insert: '\n' }] },
      'got an object',
    ],
    [
      'an array format value',
      { ops: [{ insert: 'a', attributes: { list: [1] } }, { insert: '\n' }] },
      'got an array',
    ],
    [
      'a NaN format value',
      { ops: [{ insert: 'a', attributes: { size: Number.NaN } }, { insert: '\n' }] },
      '"size"',
    ],
    [
      'attributes that are an array',
      { ops: [{ insert: 'a', attributes: [] }, { insert: '\n' }] },
      'an object',
    ],
    ['an empty format name', { ops: [{ insert: 'a', attributes: { '': 1 } }, { insert: '\n' }] }, 'names'],
    ['an embed with no key', { ops: [{ insert: {} }, { insert: '\n' }] }, 'exactly one key, got 0'],
    ['an embed with two keys', { ops: [{ insert: { image: 'a', video: 'b' } }, { insert: '\n' }] }, 'got 2'],
    [
      'an embed holding an object',
      { ops: [{ insert: { image: { src: 'a' } } }, { insert: '\n' }] },
      'embed "image"',
    ],
    ['an unknown op key', { ops: [{ insert: '\n', extra: 1 }] }, 'unexpected key "extra"'],
    ['a null op', { ops: [null] }, 'an op must be an object'],
  ];
  it.each(invalid)('[D1] refuses %s', (_, value, reason) => {
    expect(validateDocument(value as Delta)).toContain(reason);
  });
});

describe('validateChange', () => {
  const abc = doc([{ insert: 'abc\n' }]);
  const valid: [string, unknown[]][] = [
    ['the empty change', []],
    ['an insert at the start', [{ insert: 'x' }]],
    ['an insert just before the final newline', [{ retain: 3 }, { insert: 'x' }]],
    ['a trailing retain', [{ insert: 'x' }, { retain: 4 }]],
    ['a format of everything, final newline included', [{ retain: 4, attributes: { header: 2 } }]],
    ['a format removal (null)', [{ retain: 2, attributes: { bold: null } }]],
    ['a delete of all but the final newline', [{ delete: 3 }]],
    ['a replace', [{ retain: 1 }, { insert: 'x', attributes: { bold: true } }, { delete: 1 }]],
    ['an embed insert', [{ retain: 1 }, { insert: { image: 'a.png' } }]],
  ];
  it.each(valid)('[D1] accepts %s', (_, ops) => {
    expect(validateChange(doc(ops), abc)).toBeUndefined();
  });

  // [C9] the result is checked, not the shape: these delete the final newline or insert after it.
  const validResults: [string, unknown[]][] = [
    [
      'a replace of the final newline (a line format changed on the last line)',
      [{ retain: 3 }, { insert: '\n', attributes: { header: 1 } }, { delete: 1 }],
    ],
    ['a delete of the final newline after a new one', [{ retain: 3 }, { insert: '\n' }, { delete: 1 }]],
    ['a delete of the final newline before a new one', [{ retain: 3 }, { delete: 1 }, { insert: 'x\n' }]],
    ['an insert after the final newline that ends in one', [{ retain: 4 }, { insert: 'x\n' }]],
    ['a delete of everything but a new document', [{ delete: 4 }, { insert: 'new\n' }]],
  ];
  it.each(validResults)('[C9] accepts %s', (_, ops) => {
    expect(validateChange(doc(ops), abc)).toBeUndefined();
  });

  it('[C9] accepts a delete of the final newline when the text kept ends in one', () => {
    expect(validateChange(doc([{ retain: 2 }, { delete: 2 }]), doc([{ insert: 'a\nb\n' }]))).toBeUndefined();
  });

  const invalid: [string, unknown[], string][] = [
    ['a retain past the end', [{ retain: 5 }], 'past the end'],
    ['a delete past the end', [{ retain: 2 }, { delete: 3 }], 'past the end'],
    ['a delete of everything', [{ delete: 4 }], 'leave the document empty'],
    ['a delete of only the final newline', [{ retain: 3 }, { delete: 1 }], 'would not end with "\\n"'],
    ['an insert after the final newline', [{ retain: 4 }, { insert: 'x' }], 'would not end with "\\n"'],
    [
      'an embed replacing the final newline',
      [{ retain: 3 }, { delete: 1 }, { insert: { image: 'a.png' } }],
      'would not end',
    ],
    ['an empty insert', [{ insert: '' }], 'insert must not be empty'],
    ['a zero retain', [{ retain: 0 }], 'positive integer'],
    ['a negative delete', [{ delete: -1 }], 'positive integer'],
    ['a fractional retain', [{ retain: 1.5 }], 'positive integer'],
    ['a retain of an embed (embed change)', [{ retain: { image: 'b.png' } }], 'not supported'],
    ['a null format on an insert', [{ insert: 'x', attributes: { bold: null } }], '"bold" is null'],
    ['an object format value', [{ retain: 1, attributes: { bold: {} } }], 'got an object'],
    ['an array format value', [{ insert: 'x', attributes: { list: ['a'] } }], 'got an array'],
    ['an embed with no key', [{ insert: {} }], 'exactly one key, got 0'],
    ['an embed with two keys', [{ insert: { a: 1, b: 2 } }], 'exactly one key, got 2'],
    ['an op with insert and delete', [{ insert: 'x', delete: 1 }], 'exactly one of insert, retain or delete'],
    ['an op with nothing', [{}], 'exactly one of insert, retain or delete'],
    ['a delete with attributes', [{ delete: 1, attributes: { bold: true } }], 'unexpected key "attributes"'],
  ];
  it.each(invalid)('[D1] refuses %s', (_, ops, reason) => {
    expect(validateChange(doc(ops), abc)).toContain(reason);
  });

  it('[D1] names the offending op', () => {
    expect(validateChange(doc([{ retain: 1 }, { insert: '' }]), abc)).toMatch(/^op 1: /);
  });

  it('[D1] checks bounds against a length alone', () => {
    expect(validateChangeBounds(doc([{ retain: 2 }, { delete: 2 }]), 4)).toBeUndefined();
    expect(validateChangeBounds(doc([{ retain: 5 }]), 4)).toContain('past the end');
    expect(validateChangeBounds(new Delta(), 0)).toContain('document length');
  });
});
