import type { HistoryAuthor, Op } from '@collab/protocol';

/** How an author nobody has named shows; the same as the server's. */
export const NEUTRAL_COLOR = '#80868b';

/**
 * Turns the server's marked changes [H1] into Quill formats: inserted text gets a tint of its author's
 * colour, deleted text is struck through in it.
 */
export function changesForDisplay(ops: readonly Op[], authors: readonly HistoryAuthor[]): Op[] {
  const colorOf = new Map(authors.map((author) => [author.authorId, author.color]));
  return ops.map((op) => {
    if (!('insert' in op) || !op.attributes) return op;
    const { historyInsert, historyDelete, ...rest } = op.attributes;
    if (historyInsert === undefined && historyDelete === undefined) return op;
    const author = String(historyInsert ?? historyDelete);
    const color = colorOf.get(author) ?? NEUTRAL_COLOR;
    const attributes =
      historyInsert !== undefined
        ? { ...rest, background: `${color}33`, underline: true }
        : { ...rest, strike: true, color };
    return { ...op, attributes };
  });
}

/** "Nov 29, 3:05 PM": when a version was made. */
export function formatVersionTime(time: number, locale?: string): string {
  return new Date(time).toLocaleString(locale, {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}
