/** Words and characters of a text, as a word processor counts them [H5]. */
export interface TextCounts {
  readonly words: number;
  /** Characters, line breaks not counted. */
  readonly characters: number;
  readonly charactersWithoutSpaces: number;
}

const wordPattern = /[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu;

export function countText(text: string): TextCounts {
  const lines = text.replace(/\n/g, '');
  return {
    words: text.match(wordPattern)?.length ?? 0,
    characters: Array.from(lines).length,
    charactersWithoutSpaces: Array.from(lines.replace(/\s/g, '')).length,
  };
}
