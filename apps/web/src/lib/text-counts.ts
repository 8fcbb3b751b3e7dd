/** Words and characters of a text, as a word processor counts them [H5]. */
export interface TextCounts {
  readonly words: number;
  /** Characters, line breaks not counted. */
  readonly characters: number;
  readonly charactersWithoutSpaces: number;
}

const wordPattern = /[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu;
const space = /\s/;

/**
 * One pass over the text, without copying it or building an array of its words or characters: the
 * count runs on the whole document whenever typing pauses, and a megabyte must not cost a long frame.
 */
export function countText(text: string): TextCounts {
  let words = 0;
  wordPattern.lastIndex = 0;
  while (wordPattern.exec(text) !== null) words++;
  let characters = 0;
  let spaces = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) continue;
    characters++;
    // A surrogate pair is one character (and never a space).
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      continue;
    }
    if (isSpace(code)) spaces++;
  }
  return { words, characters, charactersWithoutSpaces: characters - spaces };
}

/** `\s`, decided without a regular expression for the common ASCII letters. */
function isSpace(code: number): boolean {
  if (code > 32 && code < 127) return false;
  return space.test(String.fromCharCode(code));
}
