import { createHash } from 'node:crypto';
import type { Delta } from '@collab/ot';

/**
 * [C3] The hash stored with an op to tell a resubmit from a different op under the same `(clientId, seq)`.
 * It covers what the op inserts (text, embeds and their formats, in order), because that is what stays
 * the same when a client resends its op rebased over ops committed meanwhile: transforming moves an insert
 * but never changes it (two inserts may end up side by side and merge, hence the merge below), while
 * retains and deletes change with every concurrent edit.
 */
export function contentHash(delta: Delta): string {
  const inserts: [unknown, string][] = [];
  for (const op of delta.ops) {
    if (op.insert === undefined) continue;
    const attributes = JSON.stringify(Object.entries(op.attributes ?? {}).sort(byKey));
    const last = inserts.at(-1);
    if (last && typeof last[0] === 'string' && typeof op.insert === 'string' && last[1] === attributes) {
      last[0] += op.insert;
    } else {
      inserts.push([op.insert, attributes]);
    }
  }
  return createHash('sha256').update(JSON.stringify(inserts)).digest('base64url').slice(0, 22);
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
