/**
 * A token bucket: `perSecond` sustained, bursts up to `burst` (default twice the rate). `take` spends
 * `cost` tokens and answers 0, or, when there are not enough, spends nothing and answers the
 * milliseconds until there will be.
 */
export function tokenBucket(perSecond: number, now: () => number = Date.now, burst = perSecond * 2) {
  let tokens = burst;
  let last = now();
  return (cost = 1): number => {
    const time = now();
    tokens = Math.min(burst, tokens + ((time - last) / 1000) * perSecond);
    last = time;
    if (tokens >= cost) {
      tokens -= cost;
      return 0;
    }
    return Math.ceil(((cost - tokens) / perSecond) * 1000);
  };
}

export type TokenBucket = ReturnType<typeof tokenBucket>;
