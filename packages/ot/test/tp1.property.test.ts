import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, rebase, validateChange, validateDocument, winsTie } from '../src/index.js';
import { buildChange, concurrentChangesArb, documentArb, primitivesArb } from './support/arbitraries.js';
import { runs } from './support/runs.js';

describe('TP1 (convergence of two concurrent changes)', () => {
  it('[C5] generated changes are valid for their document', () => {
    fc.assert(
      fc.property(documentArb, primitivesArb, (doc, primitives) => {
        expect(validateDocument(doc)).toBeUndefined();
        const change = buildChange(doc, primitives);
        expect(validateChange(change, doc)).toBeUndefined();
        expect(validateDocument(applyChange(doc, change))).toBeUndefined();
      }),
      { numRuns: runs(300) },
    );
  });

  /** Two distinct authors (any strings): the tie rule only has to be complementary for distinct ones. */
  const authorsArb = fc
    .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
    .filter(([a, b]) => a !== b);

  it('[C1] [C5] rebasing each op over the other converges whatever the authors: the tie rule is complementary', () => {
    fc.assert(
      fc.property(concurrentChangesArb, authorsArb, ({ doc, a, b }, [authorA, authorB]) => {
        // Server committed a first (b is rebased over it), or b first (a is rebased over it).
        const viaA = applyChange(applyChange(doc, a), rebase(b, [{ delta: a, clientId: authorA }], authorB));
        const viaB = applyChange(applyChange(doc, b), rebase(a, [{ delta: b, clientId: authorB }], authorA));
        expect(viaA).toEqual(viaB);
        expect(JSON.stringify(viaA)).toBe(JSON.stringify(viaB));
        // And the client's two-way transform uses the same priority as the server's rebase.
        const aWins = winsTie(authorA, authorB);
        expect(a.transform(b, aWins)).toEqual(rebase(b, [{ delta: a, clientId: authorA }], authorB));
        expect(applyChange(applyChange(doc, b), b.transform(a, !aWins))).toEqual(viaA);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('[C5] doc∘a∘a.transform(b, true) equals doc∘b∘b.transform(a, false)', () => {
    fc.assert(
      fc.property(concurrentChangesArb, ({ doc, a, b }) => {
        const viaA = applyChange(applyChange(doc, a), a.transform(b, true));
        const viaB = applyChange(applyChange(doc, b), b.transform(a, false));
        expect(viaA).toEqual(viaB);
        expect(JSON.stringify(viaA)).toBe(JSON.stringify(viaB));
      }),
      { numRuns: runs(1000) },
    );
  });

  it('[C1] transformed changes still apply and keep a document', () => {
    fc.assert(
      fc.property(concurrentChangesArb, ({ doc, a, b }) => {
        const afterA = applyChange(doc, a);
        const b2 = a.transform(b, true);
        expect(validateChange(b2, afterA)).toBeUndefined();
        expect(validateDocument(applyChange(afterA, b2))).toBeUndefined();
      }),
      { numRuns: runs(500) },
    );
  });
});
