import type { HistoryAuthor, Op } from '@collab/protocol';

/** How an author nobody has named shows; the same as the server's. */
export const NEUTRAL_COLOR = '#80868b';
const NEUTRAL_NAME = 'Anonymous';

/**
 * The preview's format that names who made a marked change (shown on hover, and read by screen readers).
 * It also keeps two authors' neighbouring runs apart when they happen to have the same colour.
 */
export const AUTHOR_FORMAT = 'history-author';

/**
 * Turns the server's marked changes [H1] into Quill formats: inserted text gets a tint of its author's
 * colour, deleted text is struck through in it, and both say who made them.
 */
export function changesForDisplay(ops: readonly Op[], authors: readonly HistoryAuthor[]): Op[] {
  const byId = new Map(authors.map((author) => [author.authorId, author]));
  return ops.map((op) => {
    if (!('insert' in op) || !op.attributes) return op;
    const { historyInsert, historyDelete, ...rest } = op.attributes;
    if (historyInsert === undefined && historyDelete === undefined) return op;
    const author = byId.get(String(historyInsert ?? historyDelete));
    const color = author?.color ?? NEUTRAL_COLOR;
    const name = author?.name ?? NEUTRAL_NAME;
    const attributes =
      historyInsert !== undefined
        ? { ...rest, background: `${color}33`, underline: true, [AUTHOR_FORMAT]: `Added by ${name}` }
        : { ...rest, strike: true, color, [AUTHOR_FORMAT]: `Deleted by ${name}` };
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
