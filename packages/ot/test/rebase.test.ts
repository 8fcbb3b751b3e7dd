import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, Delta, type Op, rebase, winsTie } from '../src/index.js';
import { deepFreeze } from './support/freeze.js';
import { runs } from './support/runs.js';

const doc = new Delta().insert('abcd\n');
const bold = { bold: true };

/**
 * Authors in tie order, `alice` < `bob` < `carol`: alice's ops win ties against bob's, whichever of
 * them commits first.
 */
type Author = 'alice' | 'bob' | 'carol';

interface Case {
  /** Ops committed after the base version, each with its author. */
  committed: [Author, Op[]][];
  /** The incoming op's author (`bob` unless given). */
  by?: Author;
  op: Op[];
  rebased: Op[];
  result: Op[];
}

/**
 * Each case: ops committed after the base version, the incoming op, and what it becomes. On "abcd\n".
 * Cases that tie come in both author orders: the tie goes to the author first in order, never to
 * whoever committed first.
 */
const cases: Record<string, Case> = {
  'insert + insert at the same position, committed author first in order: the committed insert stays first': {
    committed: [['alice', [{ retain: 2 }, { insert: 'X' }]]],
    by: 'bob',
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 3 }, { insert: 'Y' }],
    result: [{ insert: 'abXYcd\n' }],
  },
  'insert + insert at the same position, incoming author first in order: the incoming insert goes first': {
    committed: [['bob', [{ retain: 2 }, { insert: 'X' }]]],
    by: 'alice',
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 2 }, { insert: 'Y' }],
    result: [{ insert: 'abYXcd\n' }],
  },
  'insert + insert before it': {
    committed: [['alice', [{ retain: 1 }, { insert: 'X' }]]],
    op: [{ retain: 3 }, { insert: 'Y' }],
    rebased: [{ retain: 4 }, { insert: 'Y' }],
    result: [{ insert: 'aXbcYd\n' }],
  },
  'insert + insert after it': {
    committed: [['alice', [{ retain: 3 }, { insert: 'X' }]]],
    op: [{ retain: 1 }, { insert: 'Y' }],
    rebased: [{ retain: 1 }, { insert: 'Y' }],
    result: [{ insert: 'aYbcXd\n' }],
  },
  'embed + insert at the same position, committed author first in order: the embed stays first': {
    committed: [['alice', [{ retain: 2 }, { insert: { image: 'a.png' } }]]],
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 3 }, { insert: 'Y' }],
    result: [{ insert: 'ab' }, { insert: { image: 'a.png' } }, { insert: 'Ycd\n' }],
  },
  'embed + insert at the same position, incoming author first in order: the text goes first': {
    committed: [['bob', [{ retain: 2 }, { insert: { image: 'a.png' } }]]],
    by: 'alice',
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 2 }, { insert: 'Y' }],
    result: [{ insert: 'abY' }, { insert: { image: 'a.png' } }, { insert: 'cd\n' }],
  },
  'delete + insert inside the deleted range: the insert survives at the cut': {
    committed: [['alice', [{ retain: 1 }, { delete: 2 }]]],
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 1 }, { insert: 'Y' }],
    result: [{ insert: 'aYd\n' }],
  },
  'insert + delete around it: the inserted text is not deleted': {
    committed: [['alice', [{ retain: 2 }, { insert: 'X' }]]],
    op: [{ retain: 1 }, { delete: 2 }],
    rebased: [{ retain: 1 }, { delete: 1 }, { retain: 1 }, { delete: 1 }],
    result: [{ insert: 'aXd\n' }],
  },
  'delete + delete overlapping: only the rest is deleted': {
    committed: [['alice', [{ retain: 1 }, { delete: 2 }]]],
    op: [{ retain: 2 }, { delete: 2 }],
    rebased: [{ retain: 1 }, { delete: 1 }],
    result: [{ insert: 'a\n' }],
  },
  'delete + the same delete: nothing left to do': {
    committed: [['alice', [{ retain: 1 }, { delete: 1 }]]],
    op: [{ retain: 1 }, { delete: 1 }],
    rebased: [],
    result: [{ insert: 'acd\n' }],
  },
  'delete + format of deleted text: the format shrinks to what is left': {
    committed: [['alice', [{ retain: 1 }, { delete: 2 }]]],
    op: [{ retain: 1 }, { retain: 3, attributes: bold }],
    rebased: [{ retain: 1 }, { retain: 1, attributes: bold }],
    result: [{ insert: 'a' }, { insert: 'd', attributes: bold }, { insert: '\n' }],
  },
  'format + delete of formatted text: the delete stands': {
    committed: [['alice', [{ retain: 1 }, { retain: 2, attributes: bold }]]],
    op: [{ retain: 2 }, { delete: 1 }],
    rebased: [{ retain: 2 }, { delete: 1 }],
    result: [{ insert: 'a' }, { insert: 'b', attributes: bold }, { insert: 'd\n' }],
  },
  'format + conflicting format, committed author first in order: its value wins, other formats apply': {
    committed: [['alice', [{ retain: 4, attributes: { color: 'red' } }]]],
    op: [{ retain: 2, attributes: { color: 'blue', bold: true } }],
    rebased: [{ retain: 2, attributes: bold }],
    result: [
      { insert: 'ab', attributes: { bold: true, color: 'red' } },
      { insert: 'cd', attributes: { color: 'red' } },
      { insert: '\n' },
    ],
  },
  'format + conflicting format, incoming author first in order: the incoming value wins': {
    committed: [['bob', [{ retain: 4, attributes: { color: 'red' } }]]],
    by: 'alice',
    op: [{ retain: 2, attributes: { color: 'blue', bold: true } }],
    rebased: [{ retain: 2, attributes: { color: 'blue', bold: true } }],
    result: [
      { insert: 'ab', attributes: { bold: true, color: 'blue' } },
      { insert: 'cd', attributes: { color: 'red' } },
      { insert: '\n' },
    ],
  },
  'format + removal of the same format, committed author first in order: the format stays': {
    committed: [['alice', [{ retain: 2, attributes: bold }]]],
    op: [{ retain: 2, attributes: { bold: null } }],
    rebased: [],
    result: [{ insert: 'ab', attributes: bold }, { insert: 'cd\n' }],
  },
  'format + removal of the same format, incoming author first in order: the removal wins': {
    committed: [['bob', [{ retain: 2, attributes: bold }]]],
    by: 'alice',
    op: [{ retain: 2, attributes: { bold: null } }],
    rebased: [{ retain: 2, attributes: { bold: null } }],
    result: [{ insert: 'abcd\n' }],
  },
  'several committed ops, transformed over in order': {
    committed: [
      ['alice', [{ insert: 'X' }]],
      ['alice', [{ retain: 1 }, { delete: 2 }]],
    ],
    op: [{ retain: 4 }, { insert: 'Y' }],
    rebased: [{ retain: 3 }, { insert: 'Y' }],
    result: [{ insert: 'XcdY\n' }],
  },
  'several committed ops by authors on both sides of the incoming one: each tie follows its own pair': {
    // All three typed at index 2 concurrently; alice < bob < carol. Carol's op was committed after
    // alice's (so after "A"); bob's "Y" lands after alice's "A" and before carol's "C".
    committed: [
      ['alice', [{ retain: 2 }, { insert: 'A' }]],
      ['carol', [{ retain: 3 }, { insert: 'C' }]],
    ],
    op: [{ retain: 2 }, { insert: 'Y' }],
    rebased: [{ retain: 3 }, { insert: 'Y' }],
    result: [{ insert: 'abAYCcd\n' }],
  },
  'no committed ops: the op is unchanged': {
    committed: [],
    op: [{ retain: 1 }, { delete: 1 }],
    rebased: [{ retain: 1 }, { delete: 1 }],
    result: [{ insert: 'acd\n' }],
  },
};

describe('rebase', () => {
  it.each(Object.entries(cases))('[C1] %s', (_, { committed, by = 'bob', op, rebased, result }) => {
    const committedSince = committed.map(([clientId, ops]) => ({ clientId, delta: new Delta(ops) }));
    const actual = rebase(new Delta(op), committedSince, by);
    expect(actual.ops).toEqual(rebased);
    const head = committedSince.map((entry) => entry.delta).reduce(applyChange, doc);
    expect(applyChange(head, actual).ops).toEqual(result);
  });

  it('[C1] ties follow the order of the authors, whichever of them committed first', () => {
    const byAlice = new Delta().retain(4).insert('alice');
    const byBob = new Delta().retain(4).insert('bob');
    const aliceFirst = applyChange(
      applyChange(doc, byAlice),
      rebase(byBob, [{ delta: byAlice, clientId: 'alice' }], 'bob'),
    );
    const bobFirst = applyChange(
      applyChange(doc, byBob),
      rebase(byAlice, [{ delta: byBob, clientId: 'bob' }], 'alice'),
    );
    expect(aliceFirst.ops).toEqual([{ insert: 'abcdalicebob\n' }]);
    expect(bobFirst.ops).toEqual(aliceFirst.ops);
  });

  it('[C1] an op committed by the same author wins the tie (never concurrent in practice)', () => {
    const committed = new Delta().retain(4).insert('first');
    const incoming = new Delta().retain(4).insert('second');
    const head = applyChange(doc, committed);
    expect(applyChange(head, rebase(incoming, [{ delta: committed, clientId: 'me' }], 'me')).ops).toEqual([
      { insert: 'abcdfirstsecond\n' },
    ]);
  });

  it('[C1] does not mutate the op or the committed ops', () => {
    const op = deepFreeze(new Delta().retain(1).insert('Y', bold).retain(2, { color: 'red' }).delete(1));
    const committed = deepFreeze([
      { delta: new Delta().retain(1).insert('X', { italic: true }).delete(1), clientId: 'alice' },
      { delta: new Delta().retain(3, { color: 'blue' }), clientId: 'carol' },
    ]);
    const before = structuredClone([op.ops, committed.map((entry) => entry.delta.ops)]);
    rebase(op, committed, 'bob');
    expect([op.ops, committed.map((entry) => entry.delta.ops)]).toEqual(before);
  });
});

describe('winsTie', () => {
  it.each([
    ['alice', 'bob', true],
    ['bob', 'alice', false],
    ['alice', 'alice', true],
    // Plain string order, not numeric: "client10" sorts before "client9".
    ['client10', 'client9', true],
    ['client9', 'client10', false],
    ['B', 'a', true],
    ['', 'a', true],
  ] as const)('[C1] committed by %j, incoming by %j: committed wins = %s', (committed, incoming, wins) => {
    expect(winsTie(committed, incoming)).toBe(wins);
  });

  it('[C1] is a total order: exactly one of two distinct authors wins, the same one in both roles', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(winsTie(a, b)).toBe(!winsTie(b, a));
      }),
      { numRuns: runs(300) },
    );
  });
});
