import { CommittedOp, PresenceEvent } from '@collab/protocol';
import { z } from 'zod';

/** Longest presence lifetime a message may ask for. */
export const maxPresenceTtlMs = 24 * 60 * 60 * 1000;

/**
 * What instances say to each other on a document's channel. Every message names its sender (`src`), so an
 * instance skips its own, and carries a format version (`v`), so a newer format is ignored, not misread.
 */
const Source = z.string().min(1).max(64);
const Message = z.discriminatedUnion('type', [
  /** A committed op, durable before it was sent. */
  z.object({ v: z.literal(1), src: Source, type: z.literal('op'), op: CommittedOp }),
  /** An op too large to send: receivers read it (and anything before it) from storage. */
  z.object({
    v: z.literal(1),
    src: Source,
    type: z.literal('version'),
    version: z.number().int().positive(),
  }),
  /** A presence change; `ttlMs` is relative so that clocks of different machines need not agree. */
  z.object({
    v: z.literal(1),
    src: Source,
    type: z.literal('presence'),
    event: PresenceEvent,
    ttlMs: z.number().int().min(0).max(maxPresenceTtlMs),
  }),
  /** The sender started listening to presence: others answer with the presence they hold locally. */
  z.object({ v: z.literal(1), src: Source, type: z.literal('hello') }),
]);
export type Outgoing =
  | { readonly type: 'op'; readonly op: CommittedOp }
  | { readonly type: 'version'; readonly version: number }
  | { readonly type: 'presence'; readonly event: PresenceEvent; readonly ttlMs: number }
  | { readonly type: 'hello' };
export type Message = z.infer<typeof Message>;

/** A message as sent on a channel: the sender's id and the format version around `message`. */
export const encodeMessage = (instanceId: string, message: Outgoing): string =>
  JSON.stringify({ v: 1, src: instanceId, ...message });

/** Why a message was ignored: a warning key (logged at most now and then) and what to log. */
export interface Ignored {
  readonly key: string;
  readonly warning: string;
  readonly fields: Record<string, unknown>;
}

/**
 * Reads a message from a channel. Nothing an instance sends is near twice `maxInlineOpBytes`; anything
 * bigger, not JSON or not of a known format is ignored with a reason.
 */
export function decodeMessage(raw: string, maxInlineOpBytes: number): Message | Ignored {
  if (raw.length > maxInlineOpBytes * 2) {
    return {
      key: 'oversized-message',
      warning: 'ignored an oversized redis message',
      fields: { bytes: raw.length },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { key: 'not-json-message', warning: 'ignored a redis message that is not JSON', fields: {} };
  }
  const parsed = Message.safeParse(json);
  if (!parsed.success) {
    return {
      key: 'malformed-message',
      warning: 'ignored a malformed redis message',
      fields: { problem: parsed.error.issues[0]?.message },
    };
  }
  return parsed.data;
}
