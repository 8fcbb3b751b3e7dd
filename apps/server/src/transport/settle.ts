import { Cause, Effect, Exit } from 'effect';
import { type AppError, isAppError } from '../domain/errors.js';
import { log } from '../log.js';

export type Settled<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly error: AppError }
  | { readonly ok: false; readonly error: undefined };

/**
 * Runs an effect for a transport (tRPC, REST, legacy socket) and sorts its outcome: a value, an
 * expected failure to answer with its catalogue entry, or an unexpected one (`error: undefined`), which is
 * logged here with `context` and must be answered without internals.
 */
export async function settle<A, E>(
  effect: Effect.Effect<A, E>,
  context: Record<string, unknown>,
): Promise<Settled<A>> {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value };
  const failure = Cause.findErrorOption(exit.cause);
  if (failure._tag === 'Some' && isAppError(failure.value)) return { ok: false, error: failure.value };
  if (!Cause.hasInterruptsOnly(exit.cause)) {
    log.error('request failed', {
      ...context,
      cause: failure._tag === 'Some' ? failure.value : Cause.squash(exit.cause),
    });
  }
  return { ok: false, error: undefined };
}
