import type { Op } from '@collab/protocol';

/** Longest first line kept as a default title. */
const maxFirstLine = 200;

/** The text of a document's first line, trimmed: its title until it is renamed [H3]. */
export function firstLineOf(ops: readonly Op[]): string {
  let text = '';
  for (const op of ops) {
    const insert = 'insert' in op ? op.insert : undefined;
    if (typeof insert !== 'string') continue;
    const end = insert.indexOf('\n');
    text += end === -1 ? insert : insert.slice(0, end);
    if (end !== -1 || text.length >= maxFirstLine) break;
  }
  return text.trim().slice(0, maxFirstLine);
}
