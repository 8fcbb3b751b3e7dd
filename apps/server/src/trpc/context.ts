import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Limits } from '@collab/protocol';
import type { WebSocket } from 'ws';
import type { Principal } from '../access/principal.js';
import type { AppServices } from '../app.js';
import { type Bounds, tokenBucket } from '../limits/index.js';
import { log } from '../log.js';
import type { FeedConnection } from '../sessions/ChangeFeed.js';
import type { RunEffect } from './run.js';

/** One client connection: a WebSocket, or a single HTTP request. */
export interface Connection {
  readonly id: string;
  /** [A6] The client's address. */
  readonly address: string;
  /** Takes one token of the op budget: 0, or the milliseconds until one is available. */
  takeToken(): number;
  /** Bytes waiting to be written to the client (0 for HTTP). */
  backlogBytes(): number;
  /** Drops the connection so the client reconnects and resyncs (a slow subscriber) [P1]. */
  terminate(): void;
  onClose(listener: () => void): void;
  /** Opens a stream (subscription) [L3]: its close function, or undefined when the connection has too many. */
  openStream(): (() => void) | undefined;
  /** Counts `bytes` of answer against the request's budget [L2]; false when it would go past it. */
  chargeOutput(bytes: number): boolean;
  /** Where a change feed writes pre-serialised frames [P1]: WebSocket connections only. */
  readonly frames: FeedConnection | undefined;
}

export interface TrpcContext {
  readonly run: RunEffect;
  readonly services: AppServices;
  readonly limits: Limits;
  readonly bounds: Bounds;
  readonly maxSocketBacklogBytes: number;
  readonly connection: Connection;
  readonly request: IncomingMessage;
  /** The HTTP response, to set a new session's cookie on (undefined on a WebSocket). */
  readonly response: ServerResponse | undefined;
  /** Who the request or connection acts for, established once by the server [A1]. */
  readonly principal: Principal;
}

let connectionCounter = 0;

/**
 * A WebSocket: its own op budget, at most `maxStreamsPerConnection` streams. Its answers are bounded by
 * the socket's output budget, so it has no per-request answer budget.
 */
export function websocketConnection(
  socket: WebSocket,
  address: string,
  limits: Limits,
  bounds: Bounds,
): Connection {
  const id = `ws-${++connectionCounter}`;
  let streams = 0;
  const take = tokenBucket(limits.maxOpsPerSecond);
  // A client refused more often in a second than its whole budget is flooding: answering each of its
  // calls would cost more than the calls; it is disconnected instead.
  const floodRefusals = Math.max(limits.maxOpsPerSecond * 2, 100);
  let windowStart = 0;
  let refusedInWindow = 0;
  const frames: FeedConnection = {
    id,
    // A text frame: the feed's frames are JSON, as tRPC's own.
    sendFrame: (frame) => socket.send(frame, { binary: false }),
    backlogBytes: () => socket.bufferedAmount,
    terminate: () => socket.terminate(),
    isOpen: () => socket.readyState === socket.OPEN,
  };
  return {
    id,
    address,
    takeToken: () => {
      const wait = take();
      if (wait === 0) return wait;
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        refusedInWindow = 0;
      }
      if (++refusedInWindow === floodRefusals) {
        log.warn('connection flooding past its op budget; disconnecting it', { connection: id, address });
        socket.terminate();
      }
      return wait;
    },
    backlogBytes: frames.backlogBytes,
    terminate: frames.terminate,
    onClose: (listener) => socket.once('close', listener),
    openStream: () => {
      if (streams >= bounds.settings.maxStreamsPerConnection) return undefined;
      streams++;
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        streams--;
      };
    },
    chargeOutput: () => true,
    frames,
  };
}

/**
 * One HTTP request: the op budget is shared by every request from its address; a stream (server-sent
 * events) counts as a connection of that address; its answers share one budget of bytes.
 */
export function httpConnection(request: IncomingMessage, bounds: Bounds): Connection {
  const address = bounds.addressOf(request);
  let answerBytes = 0;
  return {
    id: `http-${++connectionCounter}`,
    address,
    takeToken: () => bounds.httpOps.take(address),
    backlogBytes: () => 0,
    terminate: () => request.socket.destroy(),
    onClose: (listener) => request.socket.once('close', listener),
    openStream: () => bounds.connections.open(address),
    chargeOutput: (bytes) => {
      answerBytes += bytes;
      return answerBytes <= bounds.settings.maxResponseBytes;
    },
    frames: undefined,
  };
}
