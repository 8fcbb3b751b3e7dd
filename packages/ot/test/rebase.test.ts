import { describe, expect, it } from 'vitest';
import { applyChange, Delta, type Op, rebase } from '../src/index.js';
import { deepFreeze } from './support/freeze.js';

const doc = new Delta().insert('abcd\n');
const bold = { bold: true };

interface Case {
  committed: Op[][];
  op: Op[];
  rebased: Op[];
  result: Op[];
}

/** Each case: ops committed after the base version, the incoming op, and what it becomes. On "abcd\n". */
const cases: Record<string, Case> = {
  'insert + insert at the same position: the committed insert stays first': {
    committed: [[{ retain: 2 }, { insert: 'X' }]],
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 3 }, { insert: 'Y' }],
    result: [{ insert: 'abXYcd\n' }],
  },
  'insert + insert before it': {
    committed: [[{ retain: 1 }, { insert: 'X' }]],
    op: [{ retain: 3 }, { insert: 'Y' }],
    rebased: [{ retain: 4 }, { insert: 'Y' }],
    result: [{ insert: 'aXbcYd\n' }],
  },
  'insert + insert after it': {
    committed: [[{ retain: 3 }, { insert: 'X' }]],
    op: [{ retain: 1 }, { insert: 'Y' }],
    rebased: [{ retain: 1 }, { insert: 'Y' }],
    result: [{ insert: 'aYbcXd\n' }],
  },
  'embed + insert at the same position': {
    committed: [[{ retain: 2 }, { insert: { image: 'a.png' } }]],
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 3 }, { insert: 'Y' }],
    result: [{ insert: 'ab' }, { insert: { image: 'a.png' } }, { insert: 'Ycd\n' }],
  },
  'delete + insert inside the deleted range: the insert survives at the cut': {
    committed: [[{ retain: 1 }, { delete: 2 }]],
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 1 }, { insert: 'Y' }],
    result: [{ insert: 'aYd\n' }],
  },
  'insert + delete around it: the inserted text is not deleted': {
    committed: [[{ retain: 2 }, { insert: 'X' }]],
    op: [{ retain: 1 }, { delete: 2 }],
    rebased: [{ retain: 1 }, { delete: 1 }, { retain: 1 }, { delete: 1 }],
    result: [{ insert: 'aXd\n' }],
  },
  'delete + delete overlapping: only the rest is deleted': {
    committed: [[{ retain: 1 }, { delete: 2 }]],
    op: [{ retain: 2 }, { delete: 2 }],
    rebased: [{ retain: 1 }, { delete: 1 }],
    result: [{ insert: 'a\n' }],
  },
  'delete + the same delete: nothing left to do': {
    committed: [[{ retain: 1 }, { delete: 1 }]],
    op: [{ retain: 1 }, { delete: 1 }],
    rebased: [],
    result: [{ insert: 'acd\n' }],
  },
  'delete + format of deleted text: the format shrinks to what is left': {
    committed: [[{ retain: 1 }, { delete: 2 }]],
    op: [{ retain: 1 }, { retain: 3, attributes: bold }],
    rebased: [{ retain: 1 }, { retain: 1, attributes: bold }],
    result: [{ insert: 'a' }, { insert: 'd', attributes: bold }, { insert: '\n' }],
  },
  'format + delete of formatted text: the delete stands': {
    committed: [[{ retain: 1 }, { retain: 2, attributes: bold }]],
    op: [{ retain: 2 }, { delete: 1 }],
    rebased: [{ retain: 2 }, { delete: 1 }],
    result: [{ insert: 'a' }, { insert: 'b', attributes: bold }, { insert: 'd\n' }],
  },
  'format + conflicting format: the committed value wins, other formats apply': {
    committed: [[{ retain: 4, attributes: { color: 'red' } }]],
    op: [{ retain: 2, attributes: { color: 'blue', bold: true } }],
    rebased: [{ retain: 2, attributes: bold }],
    result: [
      { insert: 'ab', attributes: { bold: true, color: 'red' } },
      { insert: 'cd', attributes: { color: 'red' } },
      { insert: '\n' },
    ],
  },
  'format + removal of the same format: the committed format wins': {
    committed: [[{ retain: 2, attributes: bold }]],
    op: [{ retain: 2, attributes: { bold: null } }],
    rebased: [],
    result: [{ insert: 'ab', attributes: bold }, { insert: 'cd\n' }],
  },
  'several committed ops, transformed over in order': {
    committed: [[{ insert: 'X' }], [{ retain: 1 }, { delete: 2 }]],
    op: [{ retain: 4 }, { insert: 'Y' }],
    rebased: [{ retain: 3 }, { insert: 'Y' }],
    result: [{ insert: 'XcdY\n' }],
  },
  'no committed ops: the op is unchanged': {
    committed: [],
    op: [{ retain: 1 }, { delete: 1 }],
    rebased: [{ retain: 1 }, { delete: 1 }],
    result: [{ insert: 'acd\n' }],
  },
};

describe('rebase', () => {
  it.each(Object.entries(cases))('[C1] %s', (_, { committed, op, rebased, result }) => {
    const committedDeltas = committed.map((ops) => new Delta(ops));
    const actual = rebase(new Delta(op), committedDeltas);
    expect(actual.ops).toEqual(rebased);
    const head = committedDeltas.reduce(applyChange, doc);
    expect(applyChange(head, actual).ops).toEqual(result);
  });

  it('[C1] committed ops win ties, whichever client made them', () => {
    const committed = new Delta().retain(4).insert('first');
    const incoming = new Delta().retain(4).insert('second');
    const head = applyChange(doc, committed);
    expect(applyChange(head, rebase(incoming, [committed])).ops).toEqual([{ insert: 'abcdfirstsecond\n' }]);
  });

  it('[C1] does not mutate the op or the committed ops', () => {
    const op = deepFreeze(new Delta().retain(1).insert('Y', bold).retain(2, { color: 'red' }).delete(1));
    const committed = deepFreeze([
      new Delta().retain(1).insert('X', { italic: true }).delete(1),
      new Delta().retain(3, { color: 'blue' }),
    ]);
    const before = structuredClone([op.ops, committed.map((delta) => delta.ops)]);
    rebase(op, committed);
    expect([op.ops, committed.map((delta) => delta.ops)]).toEqual(before);
  });
});
