import { describe, expect, it } from 'vitest';
import {
  ChangesInput,
  DeltaJson,
  DocumentId,
  errorCatalogue,
  fromQuill1,
  limitDefaults,
  limitsFromEnv,
  nestingDepth,
  PresenceUpdateInput,
  SubmitInput,
  toQuill1,
} from '../src/index.js';

describe('document ids', () => {
  it.each([['a'], ['x'.repeat(128)], ['0f8fad5b-d9cb-469f-a165-70867728950e'], ['Meeting_notes-2026']])(
    '[D3] accepts %s',
    (id) => {
      expect(DocumentId.safeParse(id).success).toBe(true);
    },
  );

  it.each([
    ['', 'empty'],
    ['x'.repeat(129), '129 characters'],
    ['has space', 'a space'],
    ['a/b', 'a slash'],
    ['../etc', 'a path'],
    ['é', 'non-ASCII'],
    ['a.b', 'a dot'],
  ])('[D3] refuses %j (%s) with a message naming the rule', (id) => {
    const result = DocumentId.safeParse(id);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/document id must be 1-128 characters/);
  });

  it('[D3] refuses non-strings', () => {
    expect(DocumentId.safeParse(42).success).toBe(false);
    expect(DocumentId.safeParse(null).success).toBe(false);
  });
});

describe('delta shapes', () => {
  const valid: Array<[string, unknown]> = [
    ['text insert', { ops: [{ insert: 'hi\n' }] }],
    ['formatted insert', { ops: [{ insert: 'hi', attributes: { bold: true, color: '#ff0000', size: 12 } }] }],
    ['embed', { ops: [{ insert: { image: 'https://example.com/a.png' } }] }],
    ['retain with format removal', { ops: [{ retain: 3, attributes: { bold: null } }] }],
    ['delete', { ops: [{ retain: 1 }, { delete: 2 }] }],
    ['empty delta', { ops: [] }],
  ];
  it.each(valid)('accepts a %s', (_name, delta) => {
    expect(DeltaJson.safeParse(delta).success).toBe(true);
  });

  const invalid: Array<[string, unknown]> = [
    ['non-object', 'hello'],
    ['ops not an array', { ops: { insert: 'x' } }],
    ['unknown op key', { ops: [{ replace: 'x' }] }],
    ['extra key', { ops: [{ insert: 'x', retain: 1 }] }],
    ['empty insert', { ops: [{ insert: '' }] }],
    ['zero retain', { ops: [{ retain: 0 }] }],
    ['negative delete', { ops: [{ delete: -1 }] }],
    ['fractional retain', { ops: [{ retain: 1.5 }] }],
    ['object attribute value', { ops: [{ insert: 'x', attributes: { bold: { deep: true } } }] }],
    ['array attribute value', { ops: [{ insert: 'x', attributes: { color: ['red'] } }] }],
    ['embed with two keys', { ops: [{ insert: { image: 'a', video: 'b' } }] }],
    ['embed with no key', { ops: [{ insert: {} }] }],
    ['nested embed value', { ops: [{ insert: { image: { src: 'a' } } }] }],
    ['retain of an object', { ops: [{ retain: { image: 'a' } }] }],
    ['extra top-level key', { ops: [], version: 1 }],
  ];
  it.each(invalid)('refuses a %s', (_name, delta) => {
    expect(DeltaJson.safeParse(delta).success).toBe(false);
  });
});

describe('procedure inputs', () => {
  const submit = { id: 'doc', clientId: 'c1', seq: 0, baseVersion: 0, delta: { ops: [{ insert: 'x' }] } };

  it('[C1] accepts a submit and refuses a negative baseVersion', () => {
    expect(SubmitInput.safeParse(submit).success).toBe(true);
    expect(SubmitInput.safeParse({ ...submit, baseVersion: -1 }).success).toBe(false);
    expect(SubmitInput.safeParse({ ...submit, seq: 1.5 }).success).toBe(false);
    expect(SubmitInput.safeParse({ ...submit, clientId: 'a b' }).success).toBe(false);
  });

  it('[C2] lastEventId must be a version number', () => {
    expect(ChangesInput.safeParse({ id: 'doc', sinceVersion: 0, lastEventId: '12' }).success).toBe(true);
    expect(ChangesInput.safeParse({ id: 'doc', sinceVersion: 0, lastEventId: null }).success).toBe(true);
    expect(ChangesInput.safeParse({ id: 'doc', sinceVersion: 0, lastEventId: 'abc' }).success).toBe(false);
  });

  it('[C6] presence needs a name and a #rrggbb colour', () => {
    const input = {
      id: 'doc',
      clientId: 'c1',
      user: { name: 'Ada', color: '#1a2b3c' },
      range: { index: 0, length: 2 },
      version: 0,
    };
    expect(PresenceUpdateInput.safeParse(input).success).toBe(true);
    expect(PresenceUpdateInput.safeParse({ ...input, user: { name: ' ', color: '#1a2b3c' } }).success).toBe(
      false,
    );
    expect(PresenceUpdateInput.safeParse({ ...input, user: { name: 'Ada', color: 'red' } }).success).toBe(
      false,
    );
  });
});

describe('limits', () => {
  it('defaults fit a pasted multi-MB document in one message', () => {
    expect(limitDefaults.maxMessageBytes).toBe(8 * 1024 * 1024);
    expect(limitDefaults.maxDocumentBytes).toBe(10 * 1024 * 1024);
  });

  it('reads overrides from the environment and names a bad variable', () => {
    expect(limitsFromEnv({ MAX_DOCUMENT_BYTES: '1024' }).maxDocumentBytes).toBe(1024);
    expect(() => limitsFromEnv({ MAX_OPS_PER_SECOND: 'fast' })).toThrow(/MAX_OPS_PER_SECOND/);
    expect(() => limitsFromEnv({ MAX_DOCUMENT_BYTES: '-5' })).toThrow(/MAX_DOCUMENT_BYTES/);
  });

  it('measures nesting depth and stops counting past the bound', () => {
    expect(nestingDepth('x')).toBe(0);
    expect(nestingDepth({ a: [1, { b: 2 }] })).toBe(3);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestingDepth(deep, 20)).toBeGreaterThanOrEqual(20);
  });
});

describe('error catalogue', () => {
  it('gives every error a tRPC code, an HTTP status and a message', () => {
    for (const entry of Object.values(errorCatalogue)) {
      expect(entry.code).toMatch(/^[A-Z_]+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.message.length).toBeGreaterThan(0);
    }
  });
});

describe('Quill 1 / Quill 2 format spellings', () => {
  it('[C11] a code block is true in Quill 1 and "plain" (or a language) in Quill 2, both ways', () => {
    const quill1 = [{ insert: 'x' }, { insert: '\n', attributes: { 'code-block': true, indent: 1 } }];
    const quill2 = [{ insert: 'x' }, { insert: '\n', attributes: { 'code-block': 'plain', indent: 1 } }];
    expect(fromQuill1(quill1)).toEqual(quill2);
    expect(toQuill1(quill2)).toEqual(quill1);
    expect(toQuill1([{ retain: 2, attributes: { 'code-block': 'javascript' } }])).toEqual([
      { retain: 2, attributes: { 'code-block': true } },
    ]);
  });

  it('[C11] removals and other formats pass unchanged', () => {
    const ops = [{ retain: 1, attributes: { 'code-block': null, list: 'bullet' } }, { delete: 2 }];
    expect(fromQuill1(ops)).toEqual(ops);
    expect(toQuill1(ops)).toEqual(ops);
  });
});
