/**
 * The tRPC WebSocket wire format of a subscription's data message, written by hand so that one
 * `documents.changes` event is serialised once per flush and shared by every subscriber [P1]:
 * `{"id":<request id>,"jsonrpc":"2.0","result":{"type":"data","id":"<tracked id>","data":{"id":"<tracked id>","data":<event>}}}`
 * is what tRPC's own adapter sends for `yield tracked(id, event)` (no transformer, JSON encoder).
 * Only the head, which names the subscription, differs between subscribers.
 */

/** An event already serialised; what tRPC would send for it, with its JSON reused. */
export class SerializedEvent<T = unknown> {
  readonly json: string;

  /**
   * `onFramed` is told the head the WebSocket encoder gave the frame (the subscription's request id),
   * so the subscriber can then be written to without going through tRPC.
   */
  constructor(
    readonly value: T,
    readonly onFramed?: (head: string) => void,
  ) {
    this.json = JSON.stringify(value);
  }

  /** Transports other than the WebSocket encoder below serialise the value itself. */
  toJSON(): T {
    return this.value;
  }
}

/** The part of a subscription's frames that names it: `{"id":…,"jsonrpc":"2.0"`. */
export function subscriptionHead(id: unknown, jsonrpc: unknown): string {
  const version = jsonrpc === undefined ? '' : `,"jsonrpc":${JSON.stringify(jsonrpc)}`;
  return `{"id":${JSON.stringify(id)}${version}`;
}

/** The rest of a data frame carrying `json`, tracked by `trackedId`; the same for every subscriber. */
export function dataFrameTail(trackedId: string, json: string): string {
  const id = JSON.stringify(trackedId);
  return `,"result":{"type":"data","id":${id},"data":{"id":${id},"data":${json}}}}`;
}

interface DataMessage {
  readonly id?: unknown;
  readonly jsonrpc?: unknown;
  readonly result?: { readonly type?: unknown; readonly id?: unknown; readonly data?: unknown };
}

/**
 * tRPC's JSON encoder for WebSocket messages, except that a tracked `SerializedEvent` reuses its JSON
 * (and tells the event which head it was sent with).
 */
export const trpcWsEncoder = {
  encode(message: unknown): string {
    const { id, jsonrpc, result } = message as DataMessage;
    const tracked = result?.type === 'data' ? (result.data as { data?: unknown } | undefined) : undefined;
    const event = tracked?.data;
    if (!(event instanceof SerializedEvent) || typeof result?.id !== 'string') return JSON.stringify(message);
    const head = subscriptionHead(id, jsonrpc);
    event.onFramed?.(head);
    return head + dataFrameTail(result.id, event.json);
  },
  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    if (typeof data !== 'string') throw new Error('tRPC messages are JSON in text frames');
    return JSON.parse(data);
  },
};
