import { errorCatalogue } from '@collab/protocol';
import { TRPCError } from '@trpc/server';
import type * as Effect from 'effect/Effect';
import type { AppError } from '../domain/errors.js';
import type { Settle } from '../transport/settle.js';

/** Runs an effect for a request and turns its failure into the one tRPC error the client sees. */
export type RunEffect = <A, E>(effect: Effect.Effect<A, E>, context?: Record<string, unknown>) => Promise<A>;

/** A tRPC error for an expected failure: code from the catalogue, message naming the problem. */
export function toTrpcError(error: AppError): TRPCError {
  const entry = errorCatalogue[error._tag];
  return new TRPCError({ code: entry.code, message: error.message, cause: error });
}

/**
 * Runs effects with the app's `settle` (on the app's runtime): expected failures become their catalogue's
 * tRPC error; anything else was logged by `settle` and is answered generically.
 */
export const runEffectWith =
  (settle: Settle): RunEffect =>
  async (effect, context = {}) => {
    const outcome = await settle(effect, context);
    if (outcome.ok) return outcome.value;
    if (outcome.error) throw toTrpcError(outcome.error);
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: errorCatalogue.Internal.message });
  };
