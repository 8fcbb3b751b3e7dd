import type { IncomingMessage } from 'node:http';
import type { Limits } from '@collab/protocol';
import { ConnectionCounter } from './ConnectionCounter.js';
import { clientAddress, compileTrust } from './clientAddress.js';
import { KeyedBuckets } from './KeyedBuckets.js';
import { OutputBudget } from './OutputBudget.js';
import { Quotas } from './Quotas.js';
import type { BoundsSettings } from './settings.js';

export { startLoadReport } from './loadReport.js';
export { BoundedSocket } from './OutputBudget.js';
export { type BoundsSettings, boundsFromEnv } from './settings.js';
export { type TokenBucket, tokenBucket } from './tokenBucket.js';

/**
 * Everything that bounds what a client can make the server spend (docs/SPEC.md §11), shared by every
 * transport (tRPC over HTTP and WebSocket, REST, the legacy socket).
 */
export interface Bounds {
  readonly settings: BoundsSettings;
  /** [A6] The client's address, read from forwarding headers only when a trusted proxy sent them. */
  addressOf(req: IncomingMessage): string;
  /** Ops budget of HTTP requests, per client address (a WebSocket has its own per connection). */
  readonly httpOps: KeyedBuckets;
  /** Open WebSockets and HTTP streams per client address [L3]. */
  readonly connections: ConnectionCounter;
  readonly quotas: Quotas;
  readonly output: OutputBudget;
}

/** How long a client refused for too many connections or streams is asked to wait. */
export const connectionRetryAfterMs = 5_000;

export function createBounds(
  settings: BoundsSettings,
  limits: Limits,
  maxSocketBacklogBytes: number,
): Bounds {
  const trust = compileTrust(settings.trustProxy);
  return {
    settings,
    addressOf: (req) => clientAddress(req, trust),
    httpOps: new KeyedBuckets({ perSecond: limits.maxOpsPerSecond, maxKeys: settings.rateLimitKeys }),
    connections: new ConnectionCounter(settings.maxConnectionsPerAddress),
    quotas: new Quotas(settings),
    output: new OutputBudget(maxSocketBacklogBytes, settings.maxQueuedOutputBytes),
  };
}

/** Seconds for a `Retry-After` header (at least 1). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
export { answerBytes, chargeWrite, creationAdmission, quotaKeyOf } from './charges.js';
