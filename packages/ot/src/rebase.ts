import type { Delta } from './delta.js';

/**
 * [C1] Moves an op made at some base version to the head of the log by transforming it over every op
 * committed since, in commit order. Committed ops were first, so they win ties (`priority = true`):
 * text inserted by them at the same index stays before the incoming insert, and their formats stand.
 * The result still needs `validateChange` against the head document before it is committed.
 */
export function rebase(op: Delta, committedSince: readonly Delta[]): Delta {
  let rebased = op;
  for (const committed of committedSince) rebased = committed.transform(rebased, true);
  return rebased;
}
