import { WebSocket } from 'ws';
import { log } from '../log.js';

/** How long a sum of every socket's send buffer is reused before it is taken again. */
const sampleMs = 50;

/**
 * [L2] Output waiting to be written: at most `maxSocketBacklogBytes` queued on one socket, and at most
 * `maxQueuedBytes` on all of them together. A socket with a backlog that would go past either bound is
 * cut (its client reconnects and resumes from its last version) instead of growing the server's memory;
 * a socket that keeps up can always take its next message, whatever its size.
 */
export class OutputBudget {
  readonly #sockets = new Set<WebSocket>();
  #sampled = 0;
  #sampledAt = Number.NEGATIVE_INFINITY;
  #sentSinceSample = 0;

  constructor(
    private readonly maxSocketBacklogBytes: number,
    private readonly maxQueuedBytes: number,
  ) {}

  track(socket: WebSocket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** Bytes queued on every tracked socket, sampled at most every 50 ms plus what was sent since. */
  queuedBytes(): number {
    const now = Date.now();
    if (now - this.#sampledAt >= sampleMs) {
      let total = 0;
      for (const socket of this.#sockets) total += socket.bufferedAmount;
      this.#sampled = total;
      this.#sampledAt = now;
      this.#sentSinceSample = 0;
    }
    return this.#sampled + this.#sentSinceSample;
  }

  /** Whether `bytes` more may be queued on `socket`; counts them when so. */
  admit(socket: WebSocket, bytes: number): boolean {
    const backlog = socket.bufferedAmount;
    if (backlog > 0) {
      if (backlog + bytes > this.maxSocketBacklogBytes) return false;
      if (this.queuedBytes() + bytes > this.maxQueuedBytes) return false;
    }
    this.#sentSinceSample += bytes;
    return true;
  }
}

type SendArgs = Parameters<WebSocket['send']>;

/**
 * A WebSocket whose every message goes through the output budget first: answers to queries and
 * mutations and every subscription's events alike. Over budget, the socket is cut and the message dropped.
 */
export class BoundedSocket extends WebSocket {
  budget: OutputBudget | undefined;

  override send(data: SendArgs[0], ...rest: unknown[]): void {
    if (this.readyState !== WebSocket.OPEN) return;
    const bytes =
      typeof data === 'string'
        ? Buffer.byteLength(data)
        : ((data as { byteLength?: number }).byteLength ?? 0);
    if (this.budget && !this.budget.admit(this, bytes)) {
      log.warn('socket over its output budget; disconnecting it', { backlog: this.bufferedAmount, bytes });
      this.terminate();
      return;
    }
    super.send(data, ...(rest as [SendArgs[1], SendArgs[2]]));
  }
}
