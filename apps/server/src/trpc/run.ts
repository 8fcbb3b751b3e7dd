import { errorCatalogue } from '@collab/protocol';
import { TRPCError } from '@trpc/server';
import { Cause, Effect, Exit } from 'effect';
import { type AppError, isAppError } from '../domain/errors.js';
import { log } from '../log.js';

/** Runs an effect for a request and turns its failure into the one tRPC error the client sees. */
export type RunEffect = <A, E>(effect: Effect.Effect<A, E>, context?: Record<string, unknown>) => Promise<A>;

/** A tRPC error for an expected failure: code from the catalogue, message naming the problem. */
export function toTrpcError(error: AppError): TRPCError {
  const entry = errorCatalogue[error._tag];
  return new TRPCError({ code: entry.code, message: error.message, cause: error });
}

/** The answer to an unexpected failure: logged with context, answered without internals. */
export function internalError(cause: unknown, context: Record<string, unknown> | undefined): TRPCError {
  log.error('request failed', { ...context, cause });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: errorCatalogue.Internal.message });
}

/**
 * Effects reaching the transport have every service already provided, so running one needs no runtime:
 * expected failures become their catalogue's tRPC error, anything else is logged and answered generically.
 */
export const runEffect: RunEffect = async (effect, context) => {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) return exit.value;
  const failure = Cause.findErrorOption(exit.cause);
  if (failure._tag === 'Some' && isAppError(failure.value)) throw toTrpcError(failure.value);
  if (Cause.hasInterruptsOnly(exit.cause)) {
    throw new TRPCError({ code: 'CLIENT_CLOSED_REQUEST', message: 'The request was cancelled' });
  }
  throw internalError(failure._tag === 'Some' ? failure.value : Cause.squash(exit.cause), context);
};
