import type { Delta } from './delta.js';

/**
 * Moves local edits made on `base` onto `target`, a newer copy of the same document fetched from the
 * server, when the ops between the two are not at hand (a client that resyncs from a snapshot). The
 * server's changes are taken as one diff, so each edit keeps its inserted text and lands where that text
 * still fits; at a tie the server's text goes first. Returns a change on `target`.
 */
export function rebaseOnto(base: Delta, edits: Delta, target: Delta): Delta {
  return base.diff(target).transform(edits, true);
}
