/** Longest title kept; the rest of a long first line is cut at a word boundary. */
export const MAX_TITLE_LENGTH = 80;

export const UNTITLED = 'Untitled document';

/** The title of a document: its first line of text, whitespace collapsed, shortened when long. */
export function titleFromText(text: string): string {
  const newline = text.indexOf('\n');
  const firstLine = (newline === -1 ? text : text.slice(0, newline)).replace(/\s+/g, ' ').trim();
  if (firstLine.length <= MAX_TITLE_LENGTH) return firstLine;
  const cut = firstLine.slice(0, MAX_TITLE_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > MAX_TITLE_LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

interface InsertOp {
  insert?: unknown;
}

/** The title of a document given as delta ops: text inserts up to the first line break; embeds are skipped. */
export function titleFromOps(ops: readonly InsertOp[]): string {
  let text = '';
  for (const op of ops) {
    if (typeof op.insert !== 'string') continue;
    const newline = op.insert.indexOf('\n');
    if (newline !== -1) return titleFromText(text + op.insert.slice(0, newline));
    text += op.insert;
    if (text.length > MAX_TITLE_LENGTH * 4) break;
  }
  return titleFromText(text);
}

/** What to show for a title that may be empty. */
export function displayTitle(title: string | undefined): string {
  return title?.trim() ? title.trim() : UNTITLED;
}
