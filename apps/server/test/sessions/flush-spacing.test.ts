import { Delta } from '@collab/ot';
import { Effect, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import { describe, expect, it } from 'vitest';
import type { FeedConnection } from '../../src/sessions/ChangeFeed.js';
import { DocumentSession, flushSpacingMs } from '../../src/sessions/DocumentSession.js';
import { quietSettings, request, sessionDeps, sessionSuite } from './support.js';

const suite = sessionSuite();

/** A follower's connection that keeps the frames it is sent. */
function connection(id: number) {
  const frames: string[] = [];
  const conn: FeedConnection = {
    id: `c${id}`,
    sendFrame: (frame) => frames.push(frame.toString()),
    backlogBytes: () => 0,
    terminate: () => {},
    isOpen: () => true,
  };
  return { conn, frames };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('[P1] flushes to many followers are spaced', () => {
  it('[P1] the pause grows with the followers: none for a few, 10 ms for 1,000, at most 20 ms', () => {
    expect(flushSpacingMs(2)).toBe(0);
    expect(flushSpacingMs(99)).toBe(0);
    expect(flushSpacingMs(1_000)).toBe(10);
    expect(flushSpacingMs(100_000)).toBe(20);
  });

  it('[P1] with 1,000 followers, ops committed during the pause after a flush reach each follower in one frame when it ends', async () => {
    const clock = ManagedRuntime.make(TestClock.layer());
    const store = suite.store;
    const ops = [{ insert: 'hello\n' }];
    await Effect.runPromise(store.createDocument({ docId: 'crowded', version: 0, ops, updatedAt: 0 }));
    const session = new DocumentSession(
      sessionDeps(store, { settings: quietSettings, fork: (effect) => clock.runFork(effect) }),
      { docId: 'crowded', version: 0, ops, updatedAt: 0 },
      [],
    );
    const followers = Array.from({ length: 1_000 }, (_, i) => connection(i));
    const abort = new AbortController();
    for (const { conn } of followers) session.feed.follow(conn, Buffer.from('{"id":1'), 0, 1e9, abort.signal);
    const commit = (seq: number) =>
      Effect.runPromise(session.submit(request('w', seq, seq - 1, new Delta().insert(String(seq)))));
    const frames = () => followers[0]?.frames ?? [];

    await commit(1);
    await turn();
    expect(frames()).toHaveLength(1);
    await commit(2);
    await turn();
    await commit(3);
    await turn();
    expect(frames(), 'ops 2 and 3 wait for the pause to end').toHaveLength(1);
    await clock.runPromise(TestClock.adjust(10));
    expect(frames()).toHaveLength(2);
    expect(frames()[1]).toContain('"version":2');
    expect(frames()[1]).toContain('"version":3');
    expect(followers.every((f) => f.frames.length === 2)).toBe(true);
    abort.abort();
    session.dispose();
    await clock.dispose();
  });
});
