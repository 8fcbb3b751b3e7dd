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
