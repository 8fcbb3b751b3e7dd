import type { ResetNotice } from '@collab/client';

/** How much of a dropped edit's text the notice quotes. */
const QUOTE_LENGTH = 40;

/** The text an edit inserted (embeds left out), for telling the person which edit it was. */
function insertedText(change: ResetNotice['dropped']): string {
  if (!change) return '';
  return change.ops
    .map((op) => (typeof op.insert === 'string' ? op.insert : ''))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * [C8] Tells the person plainly what the server did not keep when the editor had to start over from its
 * copy, and that everything typed after it was kept.
 */
export function describeReset(notice: ResetNotice): string {
  const text = insertedText(notice.dropped);
  const quoted = text.length > QUOTE_LENGTH ? `${text.slice(0, QUOTE_LENGTH)}…` : text;
  const which = quoted ? `Your edit “${quoted}” was not saved` : 'Your last edit was not saved';
  const why =
    notice.reason.tag === 'LimitExceeded'
      ? 'it is larger than the server accepts'
      : notice.reason.message.replace(/\.$/, '');
  const later = notice.keptLaterEdits ? ' What you typed after it was kept.' : '';
  return `${which}: ${why}.${later}`;
}
