import type { CommittedOp } from '@collab/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeFeed, type FeedConnection, type FollowEnd } from '../../src/sessions/ChangeFeed.js';
import { subscriptionHead, trpcWsEncoder } from '../../src/transport/trpcFrames.js';

/** A WebSocket connection as the feed sees it: records the frames written, with a backlog the test sets. */
class FakeConnection implements FeedConnection {
  readonly frames: string[] = [];
  backlog = 0;
  open = true;
  terminated = false;
  constructor(readonly id: string) {}
  sendFrame(frame: Buffer): void {
    this.frames.push(frame.toString());
  }
  backlogBytes(): number {
    return this.backlog;
  }
  terminate(): void {
    this.terminated = true;
    this.open = false;
  }
  isOpen(): boolean {
    return this.open;
  }
}

/** The `documents.changes` data message a frame carries, as a tRPC client decodes it. */
interface DataMessage {
  id: number;
  jsonrpc: string;
  result: { type: string; id: string; data: { id: string; data: { ops: CommittedOp[] } } };
}
const decode = (frame: string) => trpcWsEncoder.decode(frame) as DataMessage;
/** The versions each frame carries, and the tracked id it names as the last one. */
const pages = (connection: FakeConnection) =>
  connection.frames.map((frame) => {
    const { result } = decode(frame);
    return { last: result.id, versions: result.data.data.ops.map((op) => op.version) };
  });

/** Committed ops `first … last`, each inserting its version number. */
function committed(first: number, last: number): CommittedOp[] {
  const ops: CommittedOp[] = [];
  for (let version = first; version <= last; version++) {
    ops.push({ version, delta: { ops: [{ insert: String(version) }] }, clientId: 'c', seq: version });
  }
  return ops;
}

const controllers: AbortController[] = [];
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
});

/** A follower of `feed` on a fresh connection, from `last`, with subscription (request) id `requestId`. */
function follow(feed: ChangeFeed, last: number, { requestId = 1, maxBacklog = 1_000 } = {}) {
  const connection = new FakeConnection(`conn-${requestId}`);
  const controller = new AbortController();
  controllers.push(controller);
  const head = Buffer.from(subscriptionHead(requestId, '2.0'));
  let end: FollowEnd | undefined;
  const ended = feed.follow(connection, head, last, maxBacklog, controller.signal).then((result) => {
    end = result;
    return result;
  });
  return { connection, controller, ended, end: () => end };
}

/** Lets the promises of followers that left settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('[P1] ChangeFeed', () => {
  it('[P1] sends each follower the new ops as tRPC data frames naming its own subscription', async () => {
    const feed = new ChangeFeed('doc', 500);
    const amy = follow(feed, 3, { requestId: 7 });
    const bob = follow(feed, 3, { requestId: 8 });
    expect(feed.size).toBe(2);
    feed.deliver(3, 5, committed(1, 5));
    for (const [follower, requestId] of [
      [amy, 7],
      [bob, 8],
    ] as const) {
      expect(follower.connection.frames).toHaveLength(1);
      expect(decode(follower.connection.frames[0] as string)).toEqual({
        id: requestId,
        jsonrpc: '2.0',
        result: { type: 'data', id: '5', data: { id: '5', data: { ops: committed(4, 5) } } },
      });
    }
    await settle();
    expect(amy.end()).toBeUndefined();
  });

  it('[P1] a long run of ops goes out in pages of at most the page size, each naming its last version', () => {
    const feed = new ChangeFeed('doc', 2);
    const { connection } = follow(feed, 2);
    feed.deliver(2, 6, committed(1, 6));
    expect(pages(connection)).toEqual([
      { last: '4', versions: [3, 4] },
      { last: '6', versions: [5, 6] },
    ]);
    // The next flush continues from where the last page ended.
    feed.deliver(6, 9, committed(1, 9));
    expect(pages(connection).slice(2)).toEqual([
      { last: '8', versions: [7, 8] },
      { last: '9', versions: [9] },
    ]);
  });

  it('[P1] a flush with nothing new sends nothing and keeps every follower', async () => {
    const feed = new ChangeFeed('doc', 500);
    const follower = follow(feed, 4);
    feed.deliver(4, 4, []);
    feed.deliver(4, 4, committed(1, 4));
    await settle();
    expect(follower.connection.frames).toEqual([]);
    expect(follower.end()).toBeUndefined();
    expect(feed.size).toBe(1);
  });

  it('[P1] when the session no longer keeps every op of the flush, followers leave to read them themselves', async () => {
    const feed = new ChangeFeed('doc', 500);
    const amy = follow(feed, 2);
    const bob = follow(feed, 2, { requestId: 2 });
    // Ops 3 and 4 fell out of the window before the flush.
    feed.deliver(2, 9, committed(5, 9));
    expect(amy.connection.frames).toEqual([]);
    expect(feed.size).toBe(0);
    expect(await amy.ended).toEqual({ reason: 'behind', last: 2 });
    expect(await bob.ended).toEqual({ reason: 'behind', last: 2 });
  });

  it('[P1] the window may start right at the first op of the flush', () => {
    const feed = new ChangeFeed('doc', 500);
    const { connection } = follow(feed, 2);
    feed.deliver(2, 4, committed(3, 4));
    expect(pages(connection)).toEqual([{ last: '4', versions: [3, 4] }]);
  });

  it('[P1] a follower that is not at the start of a page leaves as behind; the others are sent it', async () => {
    const feed = new ChangeFeed('doc', 500);
    const current = follow(feed, 5);
    const late = follow(feed, 4, { requestId: 2 });
    feed.deliver(5, 6, committed(1, 6));
    expect(late.connection.frames).toEqual([]);
    expect(await late.ended).toEqual({ reason: 'behind', last: 4 });
    expect(pages(current.connection)).toEqual([{ last: '6', versions: [6] }]);
    expect(feed.size).toBe(1);
  });

  it('[P1] a follower whose connection closed leaves as closed with the last version it was sent', async () => {
    const feed = new ChangeFeed('doc', 500);
    const follower = follow(feed, 0);
    feed.deliver(0, 1, committed(1, 1));
    follower.connection.open = false;
    feed.deliver(1, 2, committed(1, 2));
    expect(await follower.ended).toEqual({ reason: 'closed', last: 1 });
    expect(follower.connection.frames).toHaveLength(1);
    expect(follower.connection.terminated).toBe(false);
  });

  it('[P1] a follower whose socket backlog is past its bound is cut off; one at the bound is still sent', async () => {
    const feed = new ChangeFeed('doc', 500);
    const atBound = follow(feed, 0, { maxBacklog: 100 });
    const slow = follow(feed, 0, { requestId: 2, maxBacklog: 100 });
    atBound.connection.backlog = 100;
    slow.connection.backlog = 101;
    feed.deliver(0, 1, committed(1, 1));
    expect(await slow.ended).toEqual({ reason: 'closed', last: 0 });
    expect(slow.connection.terminated).toBe(true);
    expect(slow.connection.frames).toEqual([]);
    expect(pages(atBound.connection)).toEqual([{ last: '1', versions: [1] }]);
    expect(atBound.connection.terminated).toBe(false);
    expect(feed.size).toBe(1);
  });

  it('[P1] an aborted follower leaves with the last version it was sent and is sent nothing more', async () => {
    const feed = new ChangeFeed('doc', 500);
    const follower = follow(feed, 0);
    feed.deliver(0, 2, committed(1, 2));
    follower.controller.abort();
    expect(await follower.ended).toEqual({ reason: 'aborted', last: 2 });
    expect(feed.size).toBe(0);
    feed.deliver(2, 3, committed(1, 3));
    expect(follower.connection.frames).toHaveLength(1);
  });

  it('[P1] a follower on a closed connection or with an aborted signal never joins', async () => {
    const feed = new ChangeFeed('doc', 500);
    const closed = new FakeConnection('closed');
    closed.open = false;
    const head = Buffer.from(subscriptionHead(1, '2.0'));
    expect(await feed.follow(closed, head, 3, 1_000, new AbortController().signal)).toEqual({
      reason: 'closed',
      last: 3,
    });
    const open = new FakeConnection('open');
    expect(await feed.follow(open, head, 4, 1_000, AbortSignal.abort())).toEqual({
      reason: 'aborted',
      last: 4,
    });
    expect(feed.size).toBe(0);
    feed.deliver(4, 5, committed(1, 5));
    expect(open.frames).toEqual([]);
  });
});
