import type { BroadcastHandlers } from '../Broadcast.js';

/** A document counts as busy (checked at `checkIntervalMs`) this long after its last op. */
const activeWindowMs = 60_000;

/** One document's channel on this instance, shared by all its local listeners. */
export interface Channel {
  readonly name: string;
  readonly docId: string;
  readonly handlers: Set<BroadcastHandlers>;
  /** Settles once Redis confirmed the first subscription, or when it could not (Redis down, timeout). */
  confirmed: Promise<void>;
  /** Subscribed on the current subscriber connection. */
  attached: boolean;
  attaching: boolean;
  /** When an op of this document last went through Redis, either way. */
  lastActivityAt: number;
  nextCheckAt: number;
}

const jitter = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4));

export function newChannel(name: string, docId: string, checkIntervalMs: number): Channel {
  return {
    name,
    docId,
    handlers: new Set(),
    confirmed: Promise.resolve(),
    attached: false,
    attaching: false,
    lastActivityAt: 0,
    nextCheckAt: Date.now() + jitter(checkIntervalMs),
  };
}

/**
 * Whether the periodic check of a channel against storage is due now; if so, schedules the next one:
 * soon while the document is busy or Redis is down, rarely while it is quiet.
 */
export function claimDueCheck(
  channel: Channel,
  now: number,
  redisDown: boolean,
  intervals: { readonly checkIntervalMs: number; readonly idleCheckIntervalMs: number },
): boolean {
  if (channel.nextCheckAt > now) return false;
  const busy = redisDown || now - channel.lastActivityAt < activeWindowMs;
  channel.nextCheckAt = now + jitter(busy ? intervals.checkIntervalMs : intervals.idleCheckIntervalMs);
  return true;
}
