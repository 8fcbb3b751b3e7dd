import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttributeMap,
  Delta,
  DocumentTree,
  keepFinalNewline,
  normalizeDocument,
  type Op,
  validateChange,
  validateChangeBounds,
} from '../src/index.js';
import {
  buildChange,
  documentArb,
  documentAttributesArb,
  embedArb,
  formatAttributesArb,
  type Primitive,
  primitivesArb,
} from './support/arbitraries.js';
import { runs } from './support/runs.js';

/*
 * The tree is checked against the flat Delta it replaces: `normalizeDocument(doc.compose(change))` is the
 * meaning of applying a change, and every answer the tree gives (length, positions, size, validation) is
 * compared with what the Delta says.
 */

const reference = (doc: Delta, change: Delta) => normalizeDocument(doc.compose(change));

/** Text long enough to span several runs, with surrogate pairs (an emoji is two UTF-16 units). */
const longTextArb = fc.string({
  unit: fc.constantFrom('a', 'b', '\n', 'é', '😀', '"'),
  minLength: 1,
  maxLength: 2500,
  size: 'max',
});

const longDocumentArb: fc.Arbitrary<Delta> = fc
  .array(
    fc.record({
      insert: fc.oneof({ arbitrary: longTextArb, weight: 4 }, embedArb),
      attributes: documentAttributesArb,
    }),
    { maxLength: 4 },
  )
  .map((segments) => {
    const doc = new Delta();
    for (const { insert, attributes } of segments) doc.insert(insert, attributes);
    return normalizeDocument(doc.insert('\n'));
  });

const farPosition = fc.nat({ max: 100_000 });
const longPrimitiveArb: fc.Arbitrary<Primitive> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: farPosition,
    text: longTextArb,
    attributes: documentAttributesArb,
  }),
  fc.record({
    kind: fc.constant('embed' as const),
    at: farPosition,
    embed: embedArb,
    attributes: documentAttributesArb,
  }),
  fc.record({ kind: fc.constant('delete' as const), at: farPosition, length: farPosition }),
  fc.record({
    kind: fc.constant('format' as const),
    at: farPosition,
    length: farPosition,
    attributes: formatAttributesArb,
  }),
);

/** Long property runs: each case builds documents of thousands of characters. */
const slow = 120_000;

/**
 * Changes that move the final "\n" ([C9]): Quill's replace of it (a new last line), an insert after it,
 * and a delete of it that leaves an earlier "\n" last.
 */
function finalNewlineChanges(doc: Delta, text: string, attributes: AttributeMap | undefined): Delta[] {
  const length = doc.length();
  const last = length - 1;
  const changes = [
    new Delta().retain(last).insert(`${text}\n`, attributes).delete(1),
    new Delta().retain(length).insert(`${text}\n`, attributes),
    new Delta().retain(last, attributes).delete(1).insert(`${text}\n`),
  ];
  const plain = doc.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '\u0000')).join('');
  const earlier = plain.lastIndexOf('\n', last - 1);
  if (earlier >= 0) {
    changes.push(new Delta().retain(earlier + 1).delete(length - earlier - 1));
    if (earlier > 0)
      changes.push(
        new Delta()
          .retain(earlier - 1)
          .insert(text)
          .retain(2, attributes)
          .delete(length - earlier - 1),
      );
  }
  return changes;
}

function checkTree(tree: DocumentTree, expected: Delta): void {
  expect(tree.toDelta()).toEqual(expected);
  expect(JSON.stringify(tree.toDelta())).toBe(JSON.stringify(expected));
  expect(tree.length()).toBe(expected.length());
  expect(tree.jsonBytes()).toBe(Buffer.byteLength(JSON.stringify(expected.ops)));
}

describe('DocumentTree', () => {
  function checkEdits(doc: Delta, steps: readonly (readonly Primitive[])[]): void {
    let tree = DocumentTree.fromDelta(doc);
    let expected = doc;
    checkTree(tree, expected);
    for (const primitives of steps) {
      const change = buildChange(expected, primitives);
      const before = tree;
      const beforeJson = JSON.stringify(expected);
      tree = tree.apply(change);
      expected = reference(expected, change);
      checkTree(tree, expected);
      // Persistent: the earlier version is untouched.
      expect(JSON.stringify(DocumentTree.fromDelta(before.toDelta()).toDelta())).toBe(beforeJson);
      expect(JSON.stringify(before.apply(new Delta()).toDelta())).toBe(beforeJson);
    }
  }

  it(
    '[D1] applying valid changes one after another gives exactly the normalised composition, every time',
    () => {
      fc.assert(
        fc.property(documentArb, fc.array(primitivesArb, { minLength: 1, maxLength: 8 }), checkEdits),
        {
          numRuns: runs(1500),
        },
      );
    },
    slow,
  );

  it(
    '[D1] [L1] the same holds for documents of many runs, text edited across them and surrogate pairs cut',
    () => {
      const stepsArb = fc.array(fc.array(longPrimitiveArb, { minLength: 1, maxLength: 3 }), {
        minLength: 1,
        maxLength: 5,
      });
      fc.assert(fc.property(longDocumentArb, stepsArb, checkEdits), { numRuns: runs(150) });
    },
    slow,
  );

  it(
    '[D1] [C9] changes that replace, delete or insert after the final newline apply exactly',
    () => {
      fc.assert(
        fc.property(
          fc.oneof({ arbitrary: documentArb, weight: 9 }, longDocumentArb),
          fc.string({ maxLength: 3 }),
          documentAttributesArb,
          (doc, text, attributes) => {
            const tree = DocumentTree.fromDelta(doc);
            for (const change of finalNewlineChanges(doc, text, attributes)) {
              if (validateChange(change, doc) !== undefined) continue;
              checkTree(tree.apply(change), reference(doc, change));
            }
          },
        ),
        { numRuns: runs(1000) },
      );
    },
    slow,
  );

  it('[D1] a non-canonical document becomes its canonical form', () => {
    const doc = new Delta([
      { insert: 'a', attributes: { bold: true, italic: null } },
      { attributes: { bold: true }, insert: 'b' },
      { insert: 'c', attributes: {} },
      { insert: { image: 'x.png' } },
      { insert: 'd\n' },
    ] as Op[]);
    checkTree(DocumentTree.fromDelta(doc), normalizeDocument(doc));
  });

  it('[D1] a surrogate pair is never cut between two runs of one op, so the JSON size stays exact', () => {
    // 1023 characters, then an emoji whose two halves straddle the end of the first run.
    const doc = new Delta().insert(`${'a'.repeat(1023)}😀b\n`);
    const tree = DocumentTree.fromDelta(doc);
    checkTree(tree, doc);
    // A format that changes nothing cuts the pair, and leaves two runs of one op that must meet again.
    const noop = new Delta().retain(1024).retain(2, { bold: null });
    checkTree(tree.apply(noop), reference(doc, noop));
    const typed = new Delta().retain(1024).insert('x').delete(1);
    checkTree(tree.apply(typed), reference(doc, typed));
  });

  it('[D1] reads the insert and formats at any position as the Delta holds them', () => {
    fc.assert(
      fc.property(fc.oneof(documentArb, longDocumentArb), fc.nat(), (doc, at) => {
        const tree = DocumentTree.fromDelta(doc);
        const index = at % doc.length();
        const op = doc.slice(index, index + 1).ops[0] as Op;
        expect(tree.insertAt(index)).toEqual(op.insert);
        expect(tree.attributesAt(index)).toEqual(op.attributes);
      }),
      { numRuns: runs(500) },
    );
  });
});

/** Any ops at all: mostly in bounds, some past the end, some deleting or formatting the final "\n". */
const anyChangeArb = fc.array(
  fc.oneof(
    fc.record({ retain: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ retain: fc.integer({ min: 1, max: 12 }), attributes: formatAttributesArb }),
    fc.record({ delete: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ insert: fc.constantFrom('x', '\n', 'y\n', '\nz') }),
    fc.record({ insert: embedArb }),
  ),
  { maxLength: 6 },
);

describe('validateChange on a DocumentTree', () => {
  it(
    '[C9] refuses exactly the changes whose composition is not a document, with the same reasons',
    () => {
      fc.assert(
        fc.property(documentArb, anyChangeArb, (doc, ops) => {
          const change = new Delta(ops as Op[]);
          const tree = DocumentTree.fromDelta(doc);
          const answer = validateChange(change, tree);
          expect(answer).toBe(validateChange(change, doc));
          const bounds = validateChangeBounds(change, doc.length());
          if (bounds !== undefined) {
            expect(answer).toBe(bounds);
            return;
          }
          const result = reference(doc, change);
          const last = result.ops.at(-1)?.insert;
          const isDocument = typeof last === 'string' && last.endsWith('\n');
          expect(answer === undefined).toBe(isDocument);
        }),
        { numRuns: runs(3000) },
      );
    },
    slow,
  );
});

describe('keepFinalNewline', () => {
  /** Whether a change deletes the final "\n" of a document of `length`, or inserts after it. */
  function movesFinalNewline(change: Delta, length: number): boolean {
    let index = 0;
    for (const op of change.ops) {
      if (op.insert !== undefined && index >= length) return true;
      const count = typeof op.retain === 'number' ? op.retain : (op.delete ?? 0);
      if (op.delete !== undefined && index + count >= length) return true;
      index += count;
    }
    return false;
  }

  it(
    '[C9] rewrites every change that moves the final newline into one that keeps it, with the same result',
    () => {
      fc.assert(
        fc.property(
          fc.oneof({ arbitrary: documentArb, weight: 9 }, longDocumentArb),
          fc.string({ maxLength: 3 }),
          documentAttributesArb,
          anyChangeArb,
          (doc, text, attributes, ops) => {
            const tree = DocumentTree.fromDelta(doc);
            for (const change of [...finalNewlineChanges(doc, text, attributes), new Delta(ops as Op[])]) {
              if (validateChange(change, tree) !== undefined) continue;
              const kept = keepFinalNewline(tree, change);
              expect(validateChange(kept, tree)).toBeUndefined();
              expect(movesFinalNewline(kept, doc.length())).toBe(false);
              expect(tree.apply(kept).toDelta()).toEqual(reference(doc, change));
              expect(keepFinalNewline(doc, change)).toEqual(kept);
            }
          },
        ),
        { numRuns: runs(1500) },
      );
    },
    slow,
  );
});
