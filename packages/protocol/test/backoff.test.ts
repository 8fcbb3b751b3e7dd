import { afterEach, describe, expect, it, vi } from 'vitest';
import { reconnectDelayMs, resendDelayMs } from '../src/backoff.js';

/** The delays for attempts 0, 1, 2 and a late one, with the jitter at `random`. */
function delays(delayMs: (attempt: number) => number, random: number) {
  vi.spyOn(Math, 'random').mockReturnValue(random);
  return [0, 1, 2, 10].map(delayMs);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('backoff', () => {
  it('[C10] reconnects after 250 ms doubling up to 5 s, give or take a quarter', () => {
    expect(delays(reconnectDelayMs, 0)).toEqual([187.5, 375, 750, 3750]);
    expect(delays(reconnectDelayMs, 1)).toEqual([312.5, 625, 1250, 6250]);
  });

  it('[C8] resends after 250 ms doubling up to 10 s, from half to one and a half times that', () => {
    expect(delays(resendDelayMs, 0)).toEqual([125, 250, 500, 5000]);
    expect(delays(resendDelayMs, 1)).toEqual([375, 750, 1500, 15000]);
  });
});
