import type { Delta } from './delta.js';

/** A committed op as `rebase` needs it: its delta and its author. */
export interface CommittedChange {
  readonly delta: Delta;
  /** The author's session id (`clientId` of the submission it was committed from). */
  readonly clientId: string;
}

/**
 * [C1] The tie rule: when a committed op by `committedAuthor` and a concurrent op by `incomingAuthor`
 * insert at the same index (or format the same text), the committed op's text goes first (and its
 * formats stand) iff `committedAuthor <= incomingAuthor`, compared as plain JavaScript strings (UTF-16
 * code units). Equal ids mean the same author, whose ops are never concurrent with each other in
 * practice; the committed op wins then.
 *
 * Why a fixed order of authors rather than commit order: two people typing at the same spot tie on
 * every keystroke. With "whoever committed first wins", each tie is decided by a race, so the two
 * streams of characters alternate ("HWeolrlod"). With a fixed order for each pair of authors, one
 * author's text always lands on the same side of the other's, so each person's typing stays
 * contiguous. The two sides of every transform use complementary priorities (the rule is antisymmetric
 * for distinct authors), so TP1 and convergence hold as before.
 *
 * The server (`rebase`) and the client (`ClientDocument`) both use this function, so a client's
 * transform of its pending op over a remote op is exactly what the server computes for it.
 */
export function winsTie(committedAuthor: string, incomingAuthor: string): boolean {
  return committedAuthor <= incomingAuthor;
}

/**
 * [C1] Moves an op by `clientId` made at some base version to the head of the log by transforming it
 * over every op committed since, in commit order. Ties with each committed op are broken by `winsTie`
 * (the committed op's author against `clientId`), not by commit order. The result still needs
 * `validateChange` against the head document before it is committed.
 */
export function rebase(op: Delta, committedSince: readonly CommittedChange[], clientId: string): Delta {
  let rebased = op;
  for (const committed of committedSince) {
    rebased = committed.delta.transform(rebased, winsTie(committed.clientId, clientId));
  }
  return rebased;
}
