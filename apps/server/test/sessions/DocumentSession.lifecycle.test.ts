import type { Delta } from '@collab/ot';
import type { CommittedOp, Op } from '@collab/protocol';
import { Effect, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import { describe, expect, it } from 'vitest';
import { ChangeFeed } from '../../src/sessions/ChangeFeed.js';
import { DocumentSession, type SessionSettings } from '../../src/sessions/DocumentSession.js';
import { type Snapshot, StorageFailure, type StoredOp } from '../../src/storage/DocumentStore.js';
import { subscriptionHead } from '../../src/transport/trpcFrames.js';
import { strictFake } from '../support/strictFake.js';
import {
  commitElsewhere,
  insertAt,
  quietSettings,
  request,
  run,
  type Store,
  sessionDeps,
  sessionSuite,
  textOf,
} from './support.js';

const suite = sessionSuite();

/** Lets the end of the current event-loop turn pass, where subscribers are woken [P1]. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const stored = (version: number, ops: Op[], clientId = 'w'): StoredOp => ({
  docId: 'loaded',
  version,
  ops,
  clientId,
  seq: version,
  hash: undefined,
  createdAt: 0,
});
const remote = (version: number, delta: Delta): CommittedOp => ({
  version,
  delta: { ops: delta.ops as Op[] },
  clientId: 'other',
  seq: version,
});

/** A strict session on the document the `stored` ops belong to. */
const strictSession = (
  provided: Partial<Store>,
  snapshot: Partial<Snapshot> = {},
  ops: readonly StoredOp[] = [],
  settings: Partial<SessionSettings> = {},
) => suite.strict(provided, { snapshot: { docId: 'loaded', ...snapshot }, ops, settings });

describe('DocumentSession loading [S2] [L1]', () => {
  // Version 2 is the snapshot "ab\n"; ops 1 and 2 are before it, 3 and 4 after.
  const history = [
    stored(1, [{ insert: 'a' }]),
    stored(2, [{ retain: 1 }, { insert: 'b' }]),
    stored(3, [{ retain: 2 }, { insert: 'c' }]),
    stored(4, [{ retain: 3 }, { insert: 'd' }]),
  ];
  const snapshot = { version: 2, ops: [{ insert: 'ab\n' }] };

  it('[S2] a session is the snapshot with only the ops after it applied', () => {
    const session = strictSession({}, snapshot, history);
    expect(session.version).toBe(4);
    expect(textOf(session.document)).toBe('abcd\n');
  });

  it('[L1] the ops before the snapshot are kept for rebasing, up to the recent window', () => {
    expect(strictSession({}, snapshot, history).keeps(0)).toBe(true);
    const windowed = strictSession({}, snapshot, history, { recentOpsWindow: 3 });
    expect(windowed.keeps(1)).toBe(true);
    expect(windowed.keeps(0)).toBe(false);
  });

  it('[L1] only the run of ops without a gap up to the head can be rebased over', () => {
    const gapped = strictSession({}, snapshot, [history[0], history[2], history[3]] as StoredOp[]);
    expect(gapped.keeps(2)).toBe(true);
    expect(gapped.keeps(1)).toBe(false);
  });

  it('[S2] a session loaded with ops after its snapshot writes a snapshot after the interval', async () => {
    const clock = ManagedRuntime.make(TestClock.layer());
    const saved: number[] = [];
    const session = new DocumentSession(
      sessionDeps(
        strictFake<Store>('DocumentStore', {
          saveSnapshot: (s) => Effect.sync(() => void saved.push(s.version)),
        }),
        {
          settings: { ...quietSettings, snapshotIntervalMs: 1_000 },
          fork: (effect) => clock.runFork(effect),
        },
      ),
      { docId: 'loaded', updatedAt: 0, ...snapshot },
      history,
    );
    suite.keep(session);
    await clock.runPromise(TestClock.adjust(999));
    expect(saved).toEqual([]);
    await clock.runPromise(TestClock.adjust(1));
    expect(saved).toEqual([4]);
    await clock.dispose();
  });
});

describe('DocumentSession subscribers [P1]', () => {
  it('[P1] ops committed in one turn become visible together at its end, and every turn after', async () => {
    const session = strictSession({ appendOp: () => Effect.void });
    const woken: number[] = [];
    const wait = (after: number) =>
      session.waitForChangeAfter(after, new AbortController().signal).then(() => woken.push(after));
    const first = wait(0);
    await run(
      Effect.all(
        [
          session.submit(request('a', 1, 0, insertAt(0, 'x'))),
          session.submit(request('b', 1, 0, insertAt(0, 'y'))),
        ],
        { concurrency: 'unbounded' },
      ),
    );
    expect(session.version).toBe(2);
    expect(session.visibleVersion).toBe(0);
    await first;
    expect(session.visibleVersion).toBe(2);
    // A second turn: visible again at its end.
    const second = wait(2);
    await run(session.submit(request('a', 2, 2, insertAt(0, 'z'))));
    expect(session.visibleVersion).toBe(2);
    await second;
    expect(session.visibleVersion).toBe(3);
    expect(woken).toEqual([0, 2]);
  });

  it('[P1] a wait for a version already visible, or with an aborted signal, resolves at once', async () => {
    const session = strictSession({ appendOp: () => Effect.void });
    await run(session.submit(request('a', 1, 0, insertAt(0, 'x'))));
    await nextTurn();
    await session.waitForChangeAfter(0, new AbortController().signal);
    await session.waitForChangeAfter(1, AbortSignal.abort());
    const controller = new AbortController();
    const aborted = session.waitForChangeAfter(1, controller.signal);
    controller.abort();
    await aborted;
  });

  it('[P1] the feed is sent each turn once, with every op of the turn', async () => {
    const session = strictSession({ appendOp: () => Effect.void });
    expect(session.feed).toBeInstanceOf(ChangeFeed);
    const frames: string[] = [];
    const connection = {
      id: 'c',
      sendFrame: (frame: Buffer) => void frames.push(frame.toString()),
      backlogBytes: () => 0,
      terminate: () => {},
      isOpen: () => true,
    };
    void session.feed.follow(
      connection,
      Buffer.from(subscriptionHead(1, '2.0')),
      0,
      1_000,
      new AbortController().signal,
    );
    await run(session.submit(request('a', 1, 0, insertAt(0, 'x'))));
    await run(session.submit(request('a', 2, 1, insertAt(0, 'y'))));
    await nextTurn();
    expect(frames.map((frame) => JSON.parse(frame).result.id)).toEqual(['2']);
  });

  it('[S3] disposing wakes every waiter and tells listeners nothing more', async () => {
    const session = strictSession({});
    const seen: number[] = [];
    session.onCommit((op) => seen.push(op.version));
    const waiting = session.waitForChangeAfter(0, new AbortController().signal);
    session.dispose();
    await waiting;
    await run(session.receiveRemote(remote(1, insertAt(0, 'x'))));
    expect(seen).toEqual([]);
  });

  it('[S4] a commit listener that unsubscribed is told nothing more', async () => {
    const session = strictSession({});
    const seen: number[] = [];
    const stop = session.onCommit((op) => seen.push(op.version));
    await run(session.receiveRemote(remote(1, insertAt(0, 'x'))));
    stop();
    await run(session.receiveRemote(remote(2, insertAt(0, 'y'))));
    expect(seen).toEqual([1]);
  });
});

describe('DocumentSession and storage [S4]', () => {
  it('[S4] the next op announced is applied without reading storage; one already applied is ignored', async () => {
    // No `readOps`: reading storage would fail the test.
    const session = strictSession({});
    await run(session.receiveRemote(remote(1, insertAt(0, 'x'))));
    await run(session.receiveRemote(remote(1, insertAt(0, 'x'))));
    expect(session.version).toBe(1);
    expect(textOf(session.document)).toBe('xhello\n');
  });

  it('[S4] catching up applies the ops that follow the head and stops at a gap', async () => {
    const session = strictSession({
      readOps: () => Effect.succeed([stored(1, [{ insert: '1' }]), stored(3, [{ insert: '3' }])]),
    });
    await run(session.catchUp());
    expect(session.version).toBe(1);
    expect(textOf(session.document)).toBe('1hello\n');
  });

  it('[S4] reach answers from memory up to the head, and reads storage for a version beyond it', async () => {
    const docId = suite.nextId('reach');
    await run(suite.store.createDocument({ docId, version: 0, ops: [{ insert: 'hello\n' }], updatedAt: 0 }));
    let reads = 0;
    const counting: Store = {
      ...suite.store,
      readOps: (...args) => Effect.sync(() => reads++).pipe(Effect.andThen(suite.store.readOps(...args))),
    };
    const session = new DocumentSession(
      sessionDeps(counting),
      { docId, version: 0, ops: [{ insert: 'hello\n' }], updatedAt: 0 },
      [],
    );
    suite.keep(session);
    expect(await run(session.reach(0))).toBe(true);
    expect(reads).toBe(0);
    expect(await run(session.reach(1))).toBe(false);
    expect(reads).toBe(1);
    await commitElsewhere(suite.store, docId, 1, insertAt(0, 'x'));
    expect(await run(session.reach(1))).toBe(true);
    expect(session.version).toBe(1);
  });
});

describe('DocumentSession snapshots [S2] [H1]', () => {
  /**
   * A session on the real store whose snapshot timer runs on a test clock, recording the snapshots it
   * writes and keeps for history; `gate` holds snapshot writes until it is opened.
   */
  async function recorded(settings: Partial<SessionSettings>) {
    const docId = suite.nextId('snap');
    await run(suite.store.createDocument({ docId, version: 0, ops: [{ insert: '\n' }], updatedAt: 0 }));
    const clock = ManagedRuntime.make(TestClock.layer());
    const saved: number[] = [];
    const archived: number[] = [];
    let gate: Promise<void> | undefined;
    const storage = { failing: false, attempts: 0 };
    const recording: Store = {
      ...suite.store,
      saveSnapshot: (snapshot) =>
        Effect.promise(() => gate ?? Promise.resolve()).pipe(
          Effect.tap(() => {
            storage.attempts++;
            return storage.failing
              ? Effect.fail(new StorageFailure({ operation: 'saveSnapshot', retryable: true, cause: 'busy' }))
              : Effect.void;
          }),
          Effect.tap(() => Effect.sync(() => void saved.push(snapshot.version))),
          Effect.andThen(suite.store.saveSnapshot(snapshot)),
        ),
      archiveSnapshot: (snapshot) =>
        Effect.sync(() => void archived.push(snapshot.version)).pipe(
          Effect.andThen(suite.store.archiveSnapshot(snapshot)),
        ),
    };
    const session = new DocumentSession(
      sessionDeps(recording, {
        settings: { ...quietSettings, ...settings },
        fork: (effect) => clock.runFork(effect),
      }),
      { docId, version: 0, ops: [{ insert: '\n' }], updatedAt: 0 },
      [],
    );
    suite.keep(session);
    let seq = 0;
    const commit = () => run(session.submit(request('w', ++seq, session.version, insertAt(0, 'x'))));
    const advance = (ms: number) => clock.runPromise(TestClock.adjust(ms));
    const hold = () => {
      let open = () => {};
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return async () => {
        gate = undefined;
        open();
        await advance(0);
      };
    };
    return { session, saved, archived, storage, commit, advance, hold, dispose: () => clock.dispose() };
  }

  it('[S2] the interval counts from the first op not in a snapshot, once, not from every op', async () => {
    const t = await recorded({ snapshotIntervalMs: 10_000 });
    await t.commit();
    await t.advance(5_000);
    await t.commit();
    await t.advance(5_000);
    expect(t.saved).toEqual([2]);
    await t.advance(2_000);
    await t.commit();
    // 15 s after the second op nothing is due: the next snapshot is 10 s after the third.
    await t.advance(9_999);
    expect(t.saved).toEqual([2]);
    await t.advance(1);
    expect(t.saved).toEqual([2, 3]);
    // Nothing new: nothing more, however long.
    await t.advance(100_000);
    expect(t.saved).toEqual([2, 3]);
    await t.dispose();
  });

  it('[S2] a snapshot that failed is tried again after SNAPSHOT_INTERVAL_MS, not at once in a loop', async () => {
    const t = await recorded({ snapshotIntervalMs: 10_000, snapshotEveryOps: 2 });
    t.storage.failing = true;
    await t.commit();
    await t.commit();
    for (let i = 0; i < 5; i++) await t.advance(0);
    expect(t.storage.attempts).toBe(1);
    await t.advance(10_000);
    expect(t.storage.attempts).toBe(2);
    t.storage.failing = false;
    await t.advance(10_000);
    expect(t.saved).toEqual([2]);
    // Working again: the next SNAPSHOT_EVERY_OPS ops are snapshotted at once.
    await t.commit();
    await t.commit();
    await t.advance(0);
    expect(t.saved).toEqual([2, 4]);
    await t.dispose();
  });

  it('[S2] a snapshot made after SNAPSHOT_EVERY_OPS ops cancels the pending interval', async () => {
    const t = await recorded({ snapshotIntervalMs: 10_000, snapshotEveryOps: 3 });
    await t.commit();
    await t.commit();
    await t.commit();
    await t.advance(0);
    expect(t.saved).toEqual([3]);
    await t.advance(5_000);
    await t.commit();
    await t.advance(9_999);
    expect(t.saved).toEqual([3]);
    await t.advance(1);
    expect(t.saved).toEqual([3, 4]);
    await t.dispose();
  });

  it('[H1] a snapshot is also kept for history each time it passes a multiple of HISTORY_SNAPSHOT_EVERY_OPS', async () => {
    const t = await recorded({ snapshotEveryOps: 2, historySnapshotEveryOps: 5 });
    for (let i = 0; i < 10; i++) {
      await t.commit();
      await t.advance(0);
    }
    expect(t.saved).toEqual([2, 4, 6, 8, 10]);
    expect(t.archived).toEqual([6, 10]);
    await t.dispose();
  });

  it('[S2] one snapshot is written at a time; ops committed meanwhile get the next one', async () => {
    const t = await recorded({ snapshotEveryOps: 2 });
    const open = t.hold();
    await t.commit();
    await t.commit();
    await t.advance(0);
    await t.commit();
    await t.commit();
    // Asked for directly while one is being written: nothing more is written.
    const direct = run(t.session.saveSnapshot());
    await t.advance(0);
    expect(t.saved).toEqual([]);
    await open();
    await direct;
    expect(t.saved).toEqual([2, 4]);
    // Up to date: asking again writes nothing.
    await run(t.session.saveSnapshot());
    expect(t.saved).toEqual([2, 4]);
    await t.dispose();
  });

  it('[S3] a disposed session starts no snapshot after the one being written, and its timer is stopped', async () => {
    const t = await recorded({ snapshotEveryOps: 2, snapshotIntervalMs: 1_000 });
    const open = t.hold();
    await t.commit();
    await t.commit();
    await t.advance(0);
    await t.commit();
    t.session.dispose();
    await open();
    await t.advance(10_000);
    expect(t.saved).toEqual([2]);

    const timed = await recorded({ snapshotIntervalMs: 1_000 });
    await timed.commit();
    timed.session.dispose();
    await timed.advance(10_000);
    expect(timed.saved).toEqual([]);
    await t.dispose();
    await timed.dispose();
  });
});
