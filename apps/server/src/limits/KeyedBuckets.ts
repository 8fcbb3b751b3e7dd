import { LRUCache } from 'lru-cache';
import { type TokenBucket, tokenBucket } from './tokenBucket.js';

/**
 * At most `maxKeys` entries, in memory that grows with the entries held: an LRU given `max` allocates
 * its arrays for `max` entries up front (about 0.8 MB each at 100,000 keys, several per cache), which an
 * idle server would carry for nothing [L5].
 */
export const boundedKeys = (maxKeys: number) => ({ maxSize: maxKeys, sizeCalculation: () => 1 });

/**
 * Token buckets by key (an address, a principal), in a bounded LRU: looking a key up costs the same
 * however many keys there are. A bucket idle long enough to be full again expires (forgetting it changes
 * nothing); past `maxKeys` the least recently used goes first.
 */
export class KeyedBuckets {
  readonly #buckets: LRUCache<string, TokenBucket>;
  readonly #perSecond: number;
  readonly #burst: number;

  constructor(options: { perSecond: number; burst?: number; maxKeys: number }) {
    this.#perSecond = options.perSecond;
    this.#burst = options.burst ?? options.perSecond * 2;
    this.#buckets = new LRUCache({
      ...boundedKeys(options.maxKeys),
      ttl: Math.ceil((this.#burst / this.#perSecond) * 1000),
      updateAgeOnGet: true,
      ttlAutopurge: false,
    });
  }

  /** Spends `cost` tokens of `key`'s bucket: 0 when allowed, else the milliseconds until it would be. */
  take(key: string, cost = 1): number {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = tokenBucket(this.#perSecond, Date.now, this.#burst);
      this.#buckets.set(key, bucket);
    }
    return bucket(cost);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
