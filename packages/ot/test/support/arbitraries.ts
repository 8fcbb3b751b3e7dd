import fc from 'fast-check';
import { type AttributeMap, applyChange, Delta, normalizeDocument } from '../../src/index.js';

/*
 * Generators for documents and for changes that are valid for a given document. A change is built
 * from a few primitive edits (insert, embed, delete, format) whose positions are plain integers
 * folded into the document at build time, so fast-check can shrink them freely and every shrunk
 * value is still a valid change.
 */

/*
 * Formats and embeds with values the editor's allowlist accepts [A7], so that the same changes can also be
 * submitted to the real server session (its simulations live in the server's tests). Two values for some
 * formats, so that concurrent formats of the same text conflict.
 */
const attributeValues: Readonly<Record<string, readonly (string | number | boolean)[]>> = {
  bold: [true],
  italic: [true],
  color: ['red', 'blue'],
  header: [1, 2],
};
const attributeKeys = Object.keys(attributeValues);

function attributesArb(withNull: boolean, minKeys: number): fc.Arbitrary<AttributeMap> {
  return fc
    .uniqueArray(fc.constantFrom(...attributeKeys), { minLength: minKeys, maxLength: 2 })
    .chain((keys) =>
      fc
        .tuple(
          ...keys.map((key) =>
            fc.constantFrom<string | number | boolean | null>(
              ...(attributeValues[key] ?? []),
              ...(withNull ? [null] : []),
            ),
          ),
        )
        .map((values) => Object.fromEntries(keys.map((key, i) => [key, values[i]]))),
    );
}

/** Attributes as documents and inserts hold them: allowed values, never null. */
export const documentAttributesArb = fc.option(attributesArb(false, 1), { nil: undefined });
/** Attributes of a format change: null removes a format. */
export const formatAttributesArb = attributesArb(true, 1);
export const embedArb = fc.constantFrom<Record<string, string>>(
  { image: 'https://example.com/a.png' },
  { image: 'https://example.com/b.png' },
  { image: 'https://example.com/c.png' },
);
/** A small alphabet, so that concurrent inserts often meet and ties are exercised. */
export const textArb = fc.string({ unit: fc.constantFrom('a', 'b', '\n'), minLength: 1, maxLength: 4 });

export const documentArb: fc.Arbitrary<Delta> = fc
  .tuple(
    fc.array(
      fc.record({
        insert: fc.oneof({ arbitrary: textArb, weight: 4 }, embedArb),
        attributes: documentAttributesArb,
      }),
      { maxLength: 6 },
    ),
    documentAttributesArb,
  )
  .map(([segments, lineAttributes]) => {
    const doc = new Delta();
    for (const { insert, attributes } of segments) doc.insert(insert, attributes);
    doc.insert('\n', lineAttributes);
    return normalizeDocument(doc);
  });

export type Primitive =
  | { kind: 'insert'; at: number; text: string; attributes: AttributeMap | undefined }
  | { kind: 'embed'; at: number; embed: Record<string, string>; attributes: AttributeMap | undefined }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'format'; at: number; length: number; attributes: AttributeMap };

const position = fc.nat({ max: 1000 });

export const primitiveArb: fc.Arbitrary<Primitive> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: position,
      text: textArb,
      attributes: documentAttributesArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('embed' as const),
      at: position,
      embed: embedArb,
      attributes: documentAttributesArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, length: position }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('format' as const),
      at: position,
      length: position,
      attributes: formatAttributesArb,
    }),
  },
);

export const primitivesArb = fc.array(primitiveArb, { minLength: 1, maxLength: 3 });

export interface BuildHooks {
  /** Replaces inserted text (the simulation makes every character unique). */
  text?: (text: string) => string;
  /** Replaces an inserted embed. */
  embed?: (embed: Record<string, string>) => Record<string, string>;
  /** Sees the part of the document each delete removes. */
  deleted?: (removed: Delta) => void;
}

/** One primitive edit as a change to `doc`, or undefined when it cannot apply (nothing to delete). */
export function primitiveChange(doc: Delta, primitive: Primitive, hooks: BuildHooks = {}): Delta | undefined {
  const length = doc.length();
  switch (primitive.kind) {
    case 'insert':
      return new Delta()
        .retain(primitive.at % length)
        .insert(hooks.text ? hooks.text(primitive.text) : primitive.text, primitive.attributes);
    case 'embed':
      return new Delta()
        .retain(primitive.at % length)
        .insert(hooks.embed ? hooks.embed(primitive.embed) : primitive.embed, primitive.attributes);
    case 'delete': {
      // The final "\n" is never deleted, so there are `length - 1` deletable positions.
      if (length <= 1) return undefined;
      const at = primitive.at % (length - 1);
      const count = 1 + (primitive.length % (length - 1 - at));
      hooks.deleted?.(doc.slice(at, at + count));
      return new Delta().retain(at).delete(count);
    }
    case 'format': {
      const at = primitive.at % length;
      const count = 1 + (primitive.length % (length - at));
      return new Delta().retain(at).retain(count, primitive.attributes);
    }
  }
}

/** Composes the primitives, each applied to the document the previous ones produced, into one change. */
export function buildChange(doc: Delta, primitives: readonly Primitive[], hooks: BuildHooks = {}): Delta {
  let current = doc;
  let change = new Delta();
  for (const primitive of primitives) {
    const step = primitiveChange(current, primitive, hooks);
    if (step === undefined) continue;
    change = change.compose(step);
    current = applyChange(current, step);
  }
  return change;
}

/** A document with two changes made concurrently on it. */
export const concurrentChangesArb = fc
  .tuple(documentArb, primitivesArb, primitivesArb)
  .map(([doc, a, b]) => ({ doc, a: buildChange(doc, a), b: buildChange(doc, b) }));
