import { LRUCache } from 'lru-cache';
import { boundedKeys, KeyedBuckets } from './KeyedBuckets.js';
import type { BoundsSettings } from './settings.js';

/** A refusal: why, and when trying again may succeed. */
export interface QuotaRefusal {
  readonly message: string;
  readonly retryAfterMs: number;
}

interface Usage {
  documents: number;
  bytes: number;
}

const day = 24 * 60 * 60 * 1000;

/**
 * [L3] What one principal and one address may create: new documents per minute (per principal and per
 * address), and documents and bytes written per principal within a day. `principal` is a string the
 * transport takes from the request's context, so it follows however principals are established.
 * Kept in memory per instance, in bounded LRUs.
 */
export class Quotas {
  readonly #principalCreates: KeyedBuckets;
  readonly #addressCreates: KeyedBuckets;
  readonly #usage: LRUCache<string, Usage>;

  constructor(private readonly settings: BoundsSettings) {
    const maxKeys = settings.rateLimitKeys;
    this.#principalCreates = new KeyedBuckets({
      perSecond: settings.maxCreatesPerMinute / 60,
      burst: settings.maxCreatesPerMinute,
      maxKeys,
    });
    this.#addressCreates = new KeyedBuckets({
      perSecond: settings.maxCreatesPerMinutePerAddress / 60,
      burst: settings.maxCreatesPerMinutePerAddress,
      maxKeys,
    });
    this.#usage = new LRUCache({ ...boundedKeys(maxKeys), ttl: day });
  }

  #usageOf(principal: string): Usage {
    let usage = this.#usage.get(principal);
    if (!usage) {
      usage = { documents: 0, bytes: 0 };
      this.#usage.set(principal, usage);
    }
    return usage;
  }

  /** Admits the creation of a document of `bytes`, counting it; or says why not. */
  admitCreation(principal: string, address: string, bytes: number): QuotaRefusal | undefined {
    const usage = this.#usageOf(principal);
    const { maxDocumentsPerPrincipal, maxBytesPerPrincipal } = this.settings;
    if (usage.documents >= maxDocumentsPerPrincipal) {
      return {
        message: `You have created ${maxDocumentsPerPrincipal} documents today, the most allowed`,
        retryAfterMs: day,
      };
    }
    if (usage.bytes + bytes > maxBytesPerPrincipal) {
      return {
        message: `You have written ${maxBytesPerPrincipal} bytes today, the most allowed`,
        retryAfterMs: day,
      };
    }
    // The principal first: a principal over its own rate does not spend its address's.
    const principalWait = this.#principalCreates.take(principal);
    if (principalWait > 0)
      return { message: 'Too many new documents; slow down', retryAfterMs: principalWait };
    const addressWait = this.#addressCreates.take(address);
    if (addressWait > 0) {
      return { message: 'Too many new documents from this address; slow down', retryAfterMs: addressWait };
    }
    usage.documents++;
    usage.bytes += bytes;
    return undefined;
  }

  /** Counts `bytes` written by `principal` into existing documents; or says why not. */
  chargeBytes(principal: string, bytes: number): QuotaRefusal | undefined {
    const usage = this.#usageOf(principal);
    if (usage.bytes + bytes > this.settings.maxBytesPerPrincipal) {
      return {
        message: `You have written ${this.settings.maxBytesPerPrincipal} bytes today, the most allowed`,
        retryAfterMs: day,
      };
    }
    usage.bytes += bytes;
    return undefined;
  }
}
