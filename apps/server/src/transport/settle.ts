import { errorCatalogue } from '@collab/protocol';
import * as Cause from 'effect/Cause';
import type * as Effect from 'effect/Effect';
import * as Exit from 'effect/Exit';
import { type AppError, isAppError, Unavailable } from '../domain/errors.js';
import { log } from '../log.js';
import { StorageFailure } from '../storage/DocumentStore.js';

export type Settled<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly error: AppError }
  | { readonly ok: false; readonly error: undefined };

/**
 * Runs an effect for a transport (tRPC, REST, legacy socket) and sorts its outcome: a value, an
 * expected failure to answer with its catalogue entry, or an unexpected one (`error: undefined`), which is
 * logged here with `context` and must be answered without internals. A storage failure that may pass
 * (busy, throttled, timed out) is answered `Unavailable` [C8], the one place that mapping is made, so
 * every client knows to keep its edits and try again.
 */
export type Settle = <A, E>(
  effect: Effect.Effect<A, E>,
  context: Record<string, unknown>,
) => Promise<Settled<A>>;

/** What effects run on: the app's runtime (its clock, scheduler and services), one for every transport. */
export interface EffectRunner {
  runPromiseExit<A, E>(effect: Effect.Effect<A, E>): Promise<Exit.Exit<A, unknown>>;
}

/** `Settle` on `runtime`. */
export const makeSettle =
  (runtime: EffectRunner): Settle =>
  (effect, context) =>
    runtime.runPromiseExit(effect).then((exit) => sortExit(exit, context));

function sortExit<A>(exit: Exit.Exit<A, unknown>, context: Record<string, unknown>): Settled<A> {
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value };
  const failure = Cause.findErrorOption(exit.cause);
  if (failure._tag === 'Some' && isAppError(failure.value)) return { ok: false, error: failure.value };
  if (failure._tag === 'Some' && failure.value instanceof StorageFailure && failure.value.retryable) {
    log.warn('storage busy; the client will retry', { ...context, operation: failure.value.operation });
    return { ok: false, error: new Unavailable({ message: errorCatalogue.Unavailable.message }) };
  }
  if (!Cause.hasInterruptsOnly(exit.cause)) {
    log.error('request failed', {
      ...context,
      cause: failure._tag === 'Some' ? failure.value : Cause.squash(exit.cause),
    });
  }
  return { ok: false, error: undefined };
}
