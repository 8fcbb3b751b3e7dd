import { Delta } from '@collab/ot';
import type { Op } from '@collab/protocol';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/sessions/contentHash.js';

/** The hash of a delta given as raw ops, so that ops a `Delta` builder would merge stay apart. */
const hashOf = (...ops: Op[]) => contentHash(new Delta(ops));

describe('[C3] contentHash tells a resubmit from a different op', () => {
  it('[C3] an op rebased over concurrent edits keeps its hash: retains and deletes do not count', () => {
    const original = hashOf({ insert: 'abc' }, { retain: 2, attributes: { bold: true } });
    expect(hashOf({ retain: 7 }, { insert: 'abc' })).toBe(original);
    expect(hashOf({ delete: 3 }, { insert: 'abc' }, { retain: 1 }, { delete: 2 })).toBe(original);
  });

  it('[C3] inserts that transforming moved side by side hash like the one insert they merge into', () => {
    expect(hashOf({ insert: 'ab' }, { retain: 4 }, { insert: 'cd' })).toBe(hashOf({ insert: 'abcd' }));
    const bold = { bold: true };
    expect(
      hashOf({ insert: 'ab', attributes: bold }, { retain: 1 }, { insert: 'cd', attributes: bold }),
    ).toBe(hashOf({ insert: 'abcd', attributes: bold }));
  });

  it('[C3] what is inserted, in what order and with what formats, changes the hash', () => {
    const hashes = [
      hashOf({ insert: 'abcd' }),
      hashOf({ insert: 'abce' }),
      hashOf({ insert: 'cd' }, { insert: 'ab', attributes: { bold: true } }),
      hashOf({ insert: 'ab', attributes: { bold: true } }, { insert: 'cd' }),
      hashOf({ insert: 'ab' }, { insert: 'cd', attributes: { bold: true } }),
      hashOf({ insert: 'abcd', attributes: { bold: true } }),
      hashOf({ insert: 'abcd', attributes: { italic: true } }),
      hashOf({ insert: 'abcd', attributes: { bold: null } }),
      hashOf(),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('[C3] embeds are never merged with their neighbours: each one counts by its content', () => {
    const image = (src: string): Op => ({ insert: { image: src } });
    const hashes = [
      hashOf(image('a.png'), image('b.png')),
      hashOf(image('c.png'), image('d.png')),
      hashOf({ insert: 'x' }, image('a.png')),
      hashOf({ insert: 'x' }, image('b.png')),
      hashOf(image('a.png'), { insert: 'x' }),
      hashOf(image('b.png'), { insert: 'x' }),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('[C3] the order in which a client lists the formats does not matter', () => {
    const formats: [string, string | boolean][] = [
      ['bold', true],
      ['color', '#ff0000'],
      ['italic', true],
      ['link', 'https://example.com'],
    ];
    const permutations = [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [1, 3, 0, 2],
      [2, 0, 3, 1],
    ];
    const hashes = permutations.map((order) =>
      hashOf({
        insert: 'text',
        attributes: Object.fromEntries(order.map((i) => formats[i] as [string, string | boolean])),
      }),
    );
    expect(new Set(hashes).size).toBe(1);
  });

  it('[C3] the hash of an op does not change between releases: stored hashes are compared with new ones', () => {
    const op = hashOf(
      { insert: 'hello', attributes: { italic: true, bold: true } },
      { retain: 3 },
      { insert: { image: 'a.png' } },
    );
    expect(op).toBe('GD_CXo01Vsq9BhympBIQvt');
  });

  it('[C3] the hash is a short fixed-size string, whatever the size of the op', () => {
    expect(hashOf({ insert: 'x' })).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(hashOf({ insert: 'x'.repeat(10_000) })).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
