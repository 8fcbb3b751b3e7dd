import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, documentLength, validateChange, validateDocument } from '../src/index.js';
import { buildChange, concurrentChangesArb, documentArb, primitivesArb } from './support/arbitraries.js';

describe('TP1 (convergence of two concurrent changes)', () => {
  it('[C5] generated changes are valid for their document', () => {
    fc.assert(
      fc.property(documentArb, primitivesArb, (doc, primitives) => {
        expect(validateDocument(doc)).toBeUndefined();
        const change = buildChange(doc, primitives);
        expect(validateChange(change, documentLength(doc))).toBeUndefined();
        expect(validateDocument(applyChange(doc, change))).toBeUndefined();
      }),
      { numRuns: 300 },
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
      { numRuns: 1000 },
    );
  });

  it('[C1] transformed changes still apply and keep a document', () => {
    fc.assert(
      fc.property(concurrentChangesArb, ({ doc, a, b }) => {
        const afterA = applyChange(doc, a);
        const b2 = a.transform(b, true);
        expect(validateChange(b2, documentLength(afterA))).toBeUndefined();
        expect(validateDocument(applyChange(afterA, b2))).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});
