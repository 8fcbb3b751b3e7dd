import type { ChangesEvent, CommittedOp } from '@collab/protocol';
import { log } from '../log.js';
import { dataFrameTail } from '../transport/trpcFrames.js';

/** Where a follower's frames go: a WebSocket connection. */
export interface FeedConnection {
  readonly id: string;
  /** Writes one pre-serialised text frame. */
  sendFrame(frame: Buffer): void;
  backlogBytes(): number;
  terminate(): void;
  isOpen(): boolean;
}

/**
 * Why a follower left the feed, and the version it had been sent up to: `aborted` (its signal),
 * `behind` (the ops it needs next are not all in memory: it reads them itself), `closed` (its
 * connection is gone or was cut off: its stream ends).
 */
export interface FollowEnd {
  readonly reason: 'aborted' | 'behind' | 'closed';
  readonly last: number;
}

interface Follower {
  last: number;
  readonly head: Buffer;
  readonly connection: FeedConnection;
  readonly maxBacklogBytes: number;
  readonly leave: (reason: FollowEnd['reason']) => void;
}

/**
 * [P1] The live end of a document's `documents.changes` subscribers. A subscriber that has every visible
 * op joins the feed with its frame head (its subscription's request id); on each flush the feed builds
 * the event once, serialises it once, and writes it to every follower with only the head changed: no
 * per-subscriber effect, promise or serialisation. A follower whose socket's backlog is past its bound is
 * cut off, so it resumes from its last version on reconnect and never slows the others.
 */
export class ChangeFeed {
  readonly #followers = new Set<Follower>();

  constructor(
    private readonly docId: string,
    private readonly pageSize: number,
  ) {}

  /** Followers now on the feed. */
  get size(): number {
    return this.#followers.size;
  }

  /**
   * Follows from version `last`, which must be the newest visible one; resolves when the follower leaves.
   * `head`: the start of its frames, which names its subscription (see `subscriptionHead`).
   */
  follow(
    connection: FeedConnection,
    head: Buffer,
    last: number,
    maxBacklogBytes: number,
    signal: AbortSignal,
  ): Promise<FollowEnd> {
    if (!connection.isOpen()) return Promise.resolve({ reason: 'closed', last });
    if (signal.aborted) return Promise.resolve({ reason: 'aborted', last });
    return new Promise((resolve) => {
      const follower: Follower = {
        last,
        head,
        connection,
        maxBacklogBytes,
        leave: (reason) => {
          signal.removeEventListener('abort', onAbort);
          this.#followers.delete(follower);
          resolve({ reason, last: follower.last });
        },
      };
      const onAbort = () => follower.leave('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      this.#followers.add(follower);
    });
  }

  /**
   * Sends the ops `from < version <= to` to every follower, in pages of at most `pageSize` ops.
   * `recent`: the contiguous committed ops the session keeps, ending at `to`.
   */
  deliver(from: number, to: number, recent: readonly CommittedOp[]): void {
    if (this.#followers.size === 0 || to <= from) return;
    const first = recent[0];
    if (first === undefined || first.version > from + 1) {
      // More was committed in one turn than the session keeps: each follower reads from storage.
      for (const follower of [...this.#followers]) follower.leave('behind');
      return;
    }
    const end = to - first.version + 1;
    for (let start = from + 1 - first.version; start < end; start += this.pageSize) {
      const ops = recent.slice(start, Math.min(end, start + this.pageSize));
      const after = start + first.version - 1;
      const version = after + ops.length;
      const event: ChangesEvent = { ops };
      const tail = Buffer.from(dataFrameTail(String(version), JSON.stringify(event)));
      for (const follower of this.#followers) this.#send(follower, after, version, tail);
    }
  }

  #send(follower: Follower, after: number, version: number, tail: Buffer): void {
    const { connection } = follower;
    if (follower.last !== after) {
      follower.leave('behind');
    } else if (!connection.isOpen()) {
      follower.leave('closed');
    } else if (connection.backlogBytes() > follower.maxBacklogBytes) {
      log.warn('slow subscriber disconnected', { docId: this.docId, connection: connection.id });
      connection.terminate();
      follower.leave('closed');
    } else {
      connection.sendFrame(Buffer.concat([follower.head, tail], follower.head.length + tail.length));
      follower.last = version;
    }
  }
}
