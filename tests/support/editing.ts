import type { ClientSession } from '@collab/client';
import { Delta } from '@collab/ot';

/** A seeded pseudo-random generator (mulberry32), so a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const insertFormats = [{ bold: true }, { italic: true }, { color: '#e60000' }, { underline: true }];
/** Format changes may also remove a format (null). */
const formatChanges = [...insertFormats, { bold: null }, { color: null }];

/**
 * A random edit that applies to `session.contents`: an insert (sometimes formatted), a delete or a
 * format change. `tag` marks inserted text so tests can tell whose text survived.
 */
export function randomEdit(
  session: Pick<ClientSession, 'contents'>,
  random: () => number,
  tag: string,
): Delta {
  const length = session.contents.length();
  const editable = length - 1; // the final newline stays
  const roll = random();
  const at = Math.floor(random() * (editable + 1));
  if (roll < 0.6 || editable < 2) {
    const attributes =
      random() < 0.2 ? insertFormats[Math.floor(random() * insertFormats.length)] : undefined;
    const text = random() < 0.1 ? `${tag}\n` : tag;
    return new Delta().retain(at).insert(text, attributes ?? undefined);
  }
  const span = Math.max(1, Math.min(editable - at, 1 + Math.floor(random() * 4)));
  if (at >= editable) return new Delta().retain(Math.max(0, at - 1)).delete(1);
  if (roll < 0.85) return new Delta().retain(at).delete(span);
  const format = formatChanges[Math.floor(random() * formatChanges.length)];
  return new Delta().retain(at).retain(span, format);
}

/** Resolves when `condition` holds, checking every 20 ms; rejects with `message` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, message: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Plain text of a delta (inserted strings; embeds left out). */
export function deltaText(delta: { readonly ops: ReadonlyArray<object> }): string {
  return delta.ops.map((op) => ('insert' in op && typeof op.insert === 'string' ? op.insert : '')).join('');
}
