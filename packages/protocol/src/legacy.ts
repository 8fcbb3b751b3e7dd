import { z } from 'zod';
import { type DeltaJson, Op } from './delta.js';
import { DocumentId } from './ids.js';
import { describeIssues } from './issues.js';

/*
 * The seed's public contract (docs/SPEC.md §6), kept for its clients: the REST routes under
 * `/api/database/documents` and the WebSocket at `/api/socket/ws/{id}` with `{ key, value }` frames.
 * Its documents travel as `Data`: the Quill delta as a JSON string, `{"ops":[...]}` (some writers used a
 * bare op array, which is accepted on input).
 */

/** Frames the seed's client sends. */
export const legacyClientKeys = ['get-document', 'changes-received', 'save-changes'] as const;
export type LegacyClientKey = (typeof legacyClientKeys)[number];

/** Frames the server sends: the document, a change to apply, or why a frame was refused. */
export const legacyServerKeys = ['db-document', 'update-document', 'error'] as const;
export type LegacyServerKey = (typeof legacyServerKeys)[number];

/** One frame on the legacy socket. `value` is a string in the seed's client; anything else is checked later. */
export const LegacyFrame = z.object({
  key: z.string({ error: 'key must be a string' }).max(64, { error: 'key is too long' }),
  value: z.unknown().optional(),
});
export type LegacyFrame = z.infer<typeof LegacyFrame>;

export function isLegacyClientKey(key: string): key is LegacyClientKey {
  return (legacyClientKeys as readonly string[]).includes(key);
}

/** `Data` as a value: a delta `{ ops }` or a bare op array. */
const LegacyDeltaValue = z.union([
  z.strictObject({ ops: z.array(Op) }),
  z.array(Op).transform((ops) => ({ ops })),
]);

/** `POST /api/database/documents`: an optional id and the contents. */
export const LegacyCreateBody = z.object({
  id: DocumentId.optional(),
  Data: z.unknown().optional(),
});

/** `PUT /api/database/documents/{id}`: the new contents. */
export const LegacyUpdateBody = z.object({ Data: z.unknown().optional() });

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

/**
 * Parses JSON text, refusing it before parsing when arrays and objects nest deeper than `maxDepth`
 * (counted like `nestingDepth`), so hostile input never reaches a recursive walk.
 */
export function parseJsonText(text: string, maxDepth: number): ParseResult<unknown> {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) {
        return { ok: false, message: `JSON nests deeper than the limit of ${maxDepth} levels` };
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'not valid JSON' };
  }
}

/**
 * Reads a seed `Data` value or a `changes-received` delta: the delta itself or its JSON string, shaped
 * `{ ops: [...] }` or as a bare op array. Only the shape is checked here; whether it applies to a
 * document is for `@collab/ot`.
 */
export function decodeLegacyDelta(value: unknown, maxDepth: number): ParseResult<DeltaJson> {
  let data = value;
  if (typeof value === 'string') {
    const parsed = parseJsonText(value, maxDepth);
    if (!parsed.ok) return { ok: false, message: `the delta is ${parsed.message}` };
    data = parsed.value;
  }
  const result = LegacyDeltaValue.safeParse(data);
  if (!result.success)
    return { ok: false, message: `not a Quill delta: ${describeIssues(result.error.issues)}` };
  return { ok: true, value: result.data as DeltaJson };
}

/**
 * The seed's document answer: the JSON text of `{"id":…,"Data":…}` where `Data` is itself the JSON text
 * of the delta. The seed's clients parse it twice (`JSON.parse(doc.Data)`), so it stays double-encoded.
 */
export function encodeLegacyDocument(id: string, ops: readonly object[]): string {
  return JSON.stringify({ id, Data: encodeLegacyData(ops) });
}

/** A document as the seed stored it in `Data`: `{"ops":[...]}` as JSON text. */
export function encodeLegacyData(ops: readonly object[]): string {
  return JSON.stringify({ ops });
}

/**
 * [C11] Formats that Quill 1 (the seed's client) and Quill 2 spell differently, translated at the legacy
 * socket both ways so that neither side ever sees the other's spelling: a code block line is
 * `{"code-block": true}` in Quill 1 and `{"code-block": "plain"}` (or a language) in Quill 2. Lists,
 * headers, alignment, indents and inline formats are spelled alike. Removals (`null`) pass unchanged.
 */
const codeBlock = 'code-block';

function mapCodeBlock<T extends object>(ops: readonly T[], map: (value: unknown) => unknown): T[] {
  return ops.map((op) => {
    const attributes = (op as { attributes?: Record<string, unknown> }).attributes;
    const value = attributes?.[codeBlock];
    if (value === undefined || value === null) return op;
    const next = map(value);
    return next === value ? op : { ...op, attributes: { ...attributes, [codeBlock]: next } };
  });
}

/** A delta from the seed's client in the server's (Quill 2) spelling. */
export function fromQuill1<T extends object>(ops: readonly T[]): T[] {
  return mapCodeBlock(ops, (value) => (value === true ? 'plain' : value));
}

/** A delta for the seed's client in its own (Quill 1) spelling. */
export function toQuill1<T extends object>(ops: readonly T[]): T[] {
  return mapCodeBlock(ops, (value) => (typeof value === 'string' ? true : value));
}
