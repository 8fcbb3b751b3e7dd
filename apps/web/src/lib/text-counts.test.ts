import { describe, expect, it } from 'vitest';
import { countText } from './text-counts';

describe('countText [H5]', () => {
  it('counts words, and characters with and without spaces, not line breaks', () => {
    expect(countText('Hello, world!\nIt’s 2027 — well-known\n')).toEqual({
      words: 5,
      characters: 35,
      charactersWithoutSpaces: 31,
    });
    expect(countText('\n')).toEqual({ words: 0, characters: 0, charactersWithoutSpaces: 0 });
    expect(countText('café ünïcode 😀\n').characters).toBe(14);
  });
});

describe('countText on a large text [H5]', () => {
  it('agrees with counting through arrays of words and characters', () => {
    const text = 'Ünïcode 😀 words, well-known\tand\u00a0spaced\u2003out; it’s 42!\n'.repeat(2_000);
    const lines = text.replace(/\n/g, '');
    expect(countText(text)).toEqual({
      words: text.match(/[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu)?.length,
      characters: Array.from(lines).length,
      charactersWithoutSpaces: Array.from(lines.replace(/\s/g, '')).length,
    });
  });
});
