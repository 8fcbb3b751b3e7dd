/*
 * How a client of this server waits before trying again: the new client and the server's legacy socket,
 * which resends an old tab's changes on its behalf, follow the same delays.
 */

/**
 * [C10] Delay before reconnect attempt `n`: doubling from 250 ms up to 5 s, give or take a quarter, so
 * that the clients of a restarted server do not all come back at once.
 */
export const reconnectDelayMs = (attempt: number) =>
  Math.min(5000, 250 * 2 ** attempt) * (0.75 + Math.random() / 2);

/**
 * [C8] Delay before resending an op the server could not take right now (busy, throttled, rate limited):
 * doubling from 250 ms up to 10 s, with jitter so that many clients do not come back at once.
 */
export const resendDelayMs = (attempt: number) =>
  Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random());
