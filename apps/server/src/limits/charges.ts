import * as Effect from 'effect/Effect';
import { RateLimited } from '../domain/errors.js';
import type { AdmitCreation } from '../sessions/DocumentSessions.js';
import type { Quotas } from './Quotas.js';

/** An op of a delta, as far as measuring it goes. */
type OpLike = object & { readonly insert?: unknown; readonly attributes?: unknown };

/**
 * Bytes a change inserts (what a write adds to storage, for the quota per principal): its text, and the
 * values of its embeds, so that a pasted data-URL image [H4] counts at about its size.
 */
export function insertedBytes(ops: readonly OpLike[]): number {
  let bytes = 0;
  for (const op of ops) {
    if (!('insert' in op)) continue;
    if (typeof op.insert === 'string') bytes += Buffer.byteLength(op.insert);
    else if (typeof op.insert === 'object' && op.insert !== null) {
      for (const value of Object.values(op.insert)) if (typeof value === 'string') bytes += value.length;
    }
  }
  return bytes;
}

/**
 * About the bytes of ops in an answer, without serialising them: text as UTF-8, plus a fixed share per op
 * for its keys, embeds and attributes [L2].
 */
export function answerBytes(ops: readonly OpLike[]): number {
  let bytes = 0;
  for (const op of ops) {
    bytes += 16 + ('insert' in op && typeof op.insert === 'string' ? Buffer.byteLength(op.insert) : 64);
    if ('attributes' in op && op.attributes !== undefined) bytes += 64;
  }
  return bytes;
}

/** [L3] The creation quota of `principal` at `address`, as a session's creation admission. */
export function creationAdmission(quotas: Quotas, principal: string, address: string): AdmitCreation {
  return (bytes) =>
    Effect.suspend(() => {
      const refusal = quotas.admitCreation(principal, address, bytes);
      return refusal ? Effect.fail(new RateLimited(refusal)) : Effect.void;
    });
}

/** [L3] Counts bytes written by `principal`: a RateLimited error when over its quota. */
export function chargeWrite(
  quotas: Quotas,
  principal: string,
  ops: readonly OpLike[],
): RateLimited | undefined {
  const refusal = quotas.chargeBytes(principal, insertedBytes(ops));
  return refusal ? new RateLimited(refusal) : undefined;
}

/**
 * [L3] Whose quota a request spends: a principal the server established spends its own; anonymous callers
 * (the seed's routes, programs without credentials) share one per client address.
 */
export function quotaKeyOf(principal: { readonly kind: string; readonly authorId: string }, address: string) {
  return principal.kind === 'anonymous' ? `address:${address}` : `principal:${principal.authorId}`;
}
