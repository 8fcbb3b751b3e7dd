import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Limits } from '@collab/protocol';
import type { WebSocket } from 'ws';
import type { Principal } from '../access/principal.js';
import type { AppServices } from '../app.js';
import type { RunEffect } from './run.js';

/** One client connection: a WebSocket, or a single HTTP request. */
export interface Connection {
  readonly id: string;
  /** Takes one token of the connection's op budget; false when it is spent. */
  takeToken(): boolean;
  /** Bytes waiting to be written to the client (0 for HTTP). */
  backlogBytes(): number;
  /** Drops the connection so the client reconnects and resyncs (a slow subscriber) [P1]. */
  terminate(): void;
  onClose(listener: () => void): void;
}

export interface TrpcContext {
  readonly run: RunEffect;
  readonly services: AppServices;
  readonly limits: Limits;
  readonly maxSocketBacklogBytes: number;
  readonly connection: Connection;
  readonly request: IncomingMessage;
  /** The HTTP response, to set a new session's cookie on (undefined on a WebSocket). */
  readonly response: ServerResponse | undefined;
  /** Who the request or connection acts for, established once by the server [A1]. */
  readonly principal: Principal;
}

/** A token bucket: `perSecond` sustained, bursts up to twice that. */
export function tokenBucket(perSecond: number, now: () => number = Date.now) {
  const capacity = perSecond * 2;
  let tokens = capacity;
  let last = now();
  return () => {
    const time = now();
    tokens = Math.min(capacity, tokens + ((time - last) / 1000) * perSecond);
    last = time;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

let connectionCounter = 0;

export function websocketConnection(socket: WebSocket, opsPerSecond: number): Connection {
  const id = `ws-${++connectionCounter}`;
  const takeToken = tokenBucket(opsPerSecond);
  return {
    id,
    takeToken,
    backlogBytes: () => socket.bufferedAmount,
    terminate: () => socket.terminate(),
    onClose: (listener) => socket.once('close', listener),
  };
}

/** HTTP requests share a budget per remote address, kept while recently used. */
const httpBuckets = new Map<string, { take: () => boolean; lastUsed: number }>();

export function httpConnection(request: IncomingMessage, opsPerSecond: number): Connection {
  // Behind the reverse proxy every request comes from its address: count per forwarded client instead.
  // The proxy appends the address it saw, so the last entry is the one a client cannot choose.
  const forwarded = request.headers['x-forwarded-for'];
  const client = (Array.isArray(forwarded) ? forwarded.at(-1) : forwarded)?.split(',').at(-1)?.trim();
  const address = `${request.socket.remoteAddress ?? 'unknown'}|${client ?? ''}`;
  const now = Date.now();
  let bucket = httpBuckets.get(address);
  if (!bucket) {
    if (httpBuckets.size > 10_000) {
      for (const [key, value] of httpBuckets) if (now - value.lastUsed > 60_000) httpBuckets.delete(key);
    }
    bucket = { take: tokenBucket(opsPerSecond), lastUsed: now };
    httpBuckets.set(address, bucket);
  }
  bucket.lastUsed = now;
  const { take } = bucket;
  return {
    id: `http-${++connectionCounter}`,
    takeToken: take,
    backlogBytes: () => 0,
    terminate: () => request.socket.destroy(),
    onClose: (listener) => request.socket.once('close', listener),
  };
}
