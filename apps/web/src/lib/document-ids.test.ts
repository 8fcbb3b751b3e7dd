import { parseDocumentId } from '@collab/protocol';
import { describe, expect, it } from 'vitest';
import { documentPath, isDocumentId, newDocumentId, parseDocumentReference } from './document-ids';

describe('isDocumentId', () => {
  it.each([
    'a',
    'abc-123_XYZ',
    '123e4567-e89b-42d3-a456-426614174000',
    'x'.repeat(128),
    'x'.repeat(129),
    '',
    'has space',
    'slash/inside',
    'dot.inside',
    'é',
    'emoji😀',
    'line\nbreak',
  ])('[D3] agrees with the protocol about %j', (value) => {
    expect(isDocumentId(value)).toBe(parseDocumentId(value) !== undefined);
  });

  it('refuses what is not a string', () => {
    expect(isDocumentId(42)).toBe(false);
    expect(isDocumentId(undefined)).toBe(false);
  });
});

describe('newDocumentId', () => {
  it('uses randomUUID when the context offers it', () => {
    const id = newDocumentId({
      randomUUID: () => '123e4567-e89b-42d3-a456-426614174000',
      getRandomValues: (array) => array,
    });
    expect(id).toBe('123e4567-e89b-42d3-a456-426614174000');
  });

  it('builds a version 4 UUID from random bytes when randomUUID is missing (plain http)', () => {
    const id = newDocumentId({
      getRandomValues: <T extends ArrayBufferView | null>(array: T) => {
        if (array instanceof Uint8Array) array.fill(0xff);
        return array;
      },
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives different ids each time with the real crypto', () => {
    expect(newDocumentId()).not.toBe(newDocumentId());
  });
});

describe('parseDocumentReference', () => {
  it('accepts a bare id, trimming spaces', () => {
    expect(parseDocumentReference('  notes_2024-q1 ')).toEqual({ ok: true, id: 'notes_2024-q1' });
  });

  it.each([
    ['http://localhost:8000/documents/abc-123', 'abc-123'],
    ['https://docs.example.com/documents/abc-123?x=1#top', 'abc-123'],
    ['https://docs.example.com/documents/abc-123/', 'abc-123'],
    ['docs.example.com/documents/abc_123', 'abc_123'],
    ['/documents/abc', 'abc'],
  ])('reads the id from the link %s', (link, id) => {
    expect(parseDocumentReference(link)).toEqual({ ok: true, id });
  });

  it('refuses empty input', () => {
    expect(parseDocumentReference('   ')).toMatchObject({ ok: false });
  });

  it.each(['hello world', 'a/b', 'x'.repeat(129), 'é'])('refuses %s', (text) => {
    expect(parseDocumentReference(text)).toMatchObject({ ok: false });
  });

  it('refuses a link whose id is not valid', () => {
    const result = parseDocumentReference('https://example.com/documents/not%20valid');
    expect(result).toEqual({ ok: false, message: 'That link does not point to a valid document.' });
  });

  it('refuses a link that is not a document link', () => {
    expect(parseDocumentReference('https://example.com/settings/abc')).toMatchObject({ ok: false });
  });
});

describe('documentPath', () => {
  it('is the editor route', () => {
    expect(documentPath('abc')).toBe('/documents/abc');
  });
});
