import { Clock, Effect, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidOperation } from '../../src/domain/errors.js';
import { StorageFailure } from '../../src/storage/DocumentStore.js';
import { makeSettle } from '../../src/transport/settle.js';

// An app runtime whose clock is a test clock: what runs through `settle` sees it, not the wall clock.
const runtime = ManagedRuntime.make(TestClock.layer());
const settle = makeSettle(runtime);
afterAll(() => runtime.dispose());

describe('settle: how every transport runs an effect', () => {
  it("effects of every transport run on the app's runtime, with its clock", async () => {
    expect(await settle(Clock.currentTimeMillis, {})).toEqual({ ok: true, value: 0 });
    await runtime.runPromise(TestClock.adjust(1_000));
    expect(await settle(Clock.currentTimeMillis, {})).toEqual({ ok: true, value: 1_000 });
  });

  it('[C8] a storage failure that may pass is answered Unavailable; one that will not is unexpected', async () => {
    const busy = new StorageFailure({ operation: 'appendOp', retryable: true, cause: 'busy' });
    expect(await settle(Effect.fail(busy), {})).toMatchObject({ ok: false, error: { _tag: 'Unavailable' } });
    const broken = new StorageFailure({ operation: 'appendOp', retryable: false, cause: 'disk' });
    expect(await settle(Effect.fail(broken), { test: 'expected log line' })).toEqual({
      ok: false,
      error: undefined,
    });
  });

  it('[C1] a typed error of the catalogue is answered as itself', async () => {
    const refused = new InvalidOperation({ message: 'no' });
    expect(await settle(Effect.fail(refused), {})).toEqual({ ok: false, error: refused });
  });
});
