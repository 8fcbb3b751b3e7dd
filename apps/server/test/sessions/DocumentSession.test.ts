import { Delta } from '@collab/ot';
import type { Op } from '@collab/protocol';
import { Cause, Effect, Exit, Fiber, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DocumentSession } from '../../src/sessions/DocumentSession.js';
import { StorageFailure, type StoredOp, VersionTaken } from '../../src/storage/DocumentStore.js';
import { strictFake } from '../support/strictFake.js';
import {
  commitElsewhere,
  failure,
  insertAt,
  type OpenedSession,
  openSession,
  quietSettings,
  request,
  run,
  type Store,
  sessionDeps,
  sessionSuite,
  textOf,
} from './support.js';

const suite = sessionSuite();

/** A fresh document in the shared store, loaded into a session that is disposed after the suite. */
async function fresh(text?: string, settings?: Parameters<typeof openSession>[3]): Promise<OpenedSession> {
  const result = await openSession(suite.store, suite.nextId('doc'), text, settings);
  suite.keep(result.session);
  return result;
}

const storedOps = (docId: string) => run(suite.store.readOps(docId, 0));

/*
 * The independent model of [C1]: an op made on version `b` and committed as version `v` is the op
 * transformed, with plain quill-delta, over ops b+1 … v-1 in order, the committed op's text going first
 * iff its author <= the incoming author; the document is the initial one composed with every such op.
 */
interface ModelOp {
  readonly delta: Delta;
  readonly author: string;
}
class Model {
  readonly log: ModelOp[] = [];
  readonly documents: Delta[];
  constructor(initial: string) {
    this.documents = [new Delta().insert(initial)];
  }
  get head() {
    return this.log.length;
  }
  commit(author: string, baseVersion: number, delta: Delta): void {
    let rebased = delta;
    for (const committed of this.log.slice(baseVersion)) {
      rebased = committed.delta.transform(rebased, committed.author <= author);
    }
    this.log.push({ delta: rebased, author });
    this.documents.push((this.documents.at(-1) as Delta).compose(rebased));
  }
}

/** One edit, folded into the document it is made on so that every generated value is valid there. */
interface Edit {
  readonly kind: 'insert' | 'delete' | 'format';
  readonly at: number;
  readonly length: number;
  readonly text: string;
  readonly bold: boolean;
}
const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('insert', 'insert', 'delete', 'format'),
  at: fc.nat({ max: 40 }),
  length: fc.integer({ min: 1, max: 5 }),
  text: fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 3 }),
  bold: fc.boolean(),
});

/** The change `edit` makes to a document of `length` characters; never touches its final "\n". */
function buildEdit(edit: Edit, length: number): Delta {
  const body = length - 1;
  if (edit.kind === 'insert' || body === 0) {
    return new Delta().retain(edit.at % (body + 1)).insert(edit.text);
  }
  const at = edit.at % body;
  const span = Math.min(edit.length, body - at);
  if (edit.kind === 'delete') return new Delta().retain(at).delete(span);
  return new Delta().retain(at).retain(span, { bold: edit.bold ? true : null });
}

const submissionArb = fc.record({
  author: fc.constantFrom('amy', 'bob', 'cat'),
  behind: fc.nat({ max: 4 }),
  edit: editArb,
});
const batchesArb = fc.array(fc.array(submissionArb, { minLength: 1, maxLength: 4 }), {
  minLength: 1,
  maxLength: 6,
});

describe('DocumentSession commit path [S1]', () => {
  it('[C1] [S1] concurrent submits leave the document equal to each op rebased over every op committed before it', async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb, async (batches) => {
        const initial = 'abcdefgh\n';
        const { session } = await fresh(initial);
        const model = new Model(initial);
        const seqs = new Map<string, number>();
        for (const batch of batches) {
          // Every submit of a batch is made on a version the clients have seen, then all race for the lock.
          const made = batch.map(({ author, behind, edit }) => {
            const baseVersion = Math.max(0, model.head - behind);
            const seq = (seqs.get(author) ?? 0) + 1;
            seqs.set(author, seq);
            const delta = buildEdit(edit, (model.documents[baseVersion] as Delta).length());
            return { author, seq, baseVersion, delta };
          });
          const versions = await run(
            Effect.all(
              made.map((m) =>
                session.submit(request(m.author, m.seq, m.baseVersion, new Delta(m.delta.ops as Op[]))),
              ),
              { concurrency: 'unbounded' },
            ),
          );
          const byVersion = made.map((m, i) => ({ ...m, version: versions[i] as number }));
          byVersion.sort((a, b) => a.version - b.version);
          for (const m of byVersion) {
            expect(m.version).toBe(model.head + 1);
            model.commit(m.author, m.baseVersion, m.delta);
          }
        }
        expect(session.version).toBe(model.head);
        expect(session.document.ops).toEqual((model.documents.at(-1) as Delta).ops);
        const stored = await storedOps(session.id);
        expect(stored.map((op) => op.ops)).toEqual(model.log.map((op) => op.delta.ops));
      }),
      { numRuns: 40 },
    );
  });

  it('[C1] three concurrent inserts at one index each stay whole, ordered by author', async () => {
    const { session } = await fresh('\n');
    await run(
      Effect.all(
        [
          session.submit(request('cat', 1, 0, insertAt(0, 'CCC'))),
          session.submit(request('amy', 1, 0, insertAt(0, 'AAA'))),
          session.submit(request('bob', 1, 0, insertAt(0, 'BBB'))),
        ],
        { concurrency: 'unbounded' },
      ),
    );
    expect(textOf(session.document)).toBe('AAABBBCCC\n');
  });

  it('[S1] after losing the race for a version to another instance, the session catches up and commits after it', async () => {
    const { session, published } = await fresh('hello\n');
    await commitElsewhere(suite.store, session.id, 1, insertAt(0, '>> '));
    const version = await run(session.submit(request('me', 1, 0, insertAt(5, '!'))));
    expect(version).toBe(2);
    expect(session.version).toBe(2);
    expect(textOf(session.document)).toBe('>> hello!\n');
    expect(published.map((op) => [op.version, op.clientId])).toEqual([[2, 'me']]);
    const stored = await storedOps(session.id);
    expect(stored.map((op) => op.ops)).toEqual([[{ insert: '>> ' }], [{ retain: 8 }, { insert: '!' }]]);
  });

  it('[S4] a submit made on a version only storage has yet catches up first instead of refusing', async () => {
    const { session } = await fresh('hello\n');
    await commitElsewhere(suite.store, session.id, 1, insertAt(5, ' world'));
    const version = await run(session.submit(request('me', 1, 1, insertAt(11, '!'))));
    expect(version).toBe(2);
    expect(textOf(session.document)).toBe('hello world!\n');
  });

  it('[C1] a base version above every stored version is refused with VersionAhead', async () => {
    const { session } = await fresh('hello\n');
    const error = await failure(session.submit(request('me', 1, 3, insertAt(0, 'x'))));
    expect(error._tag).toBe('VersionAhead');
    expect(session.version).toBe(0);
  });

  it('[C3] a resubmitted op answers its original version and commits nothing more', async () => {
    const { session } = await fresh('hello\n');
    expect(await run(session.submit(request('me', 1, 0, insertAt(0, 'a'))))).toBe(1);
    expect(await run(session.submit(request('you', 1, 1, insertAt(0, 'b'))))).toBe(2);
    // The ack was lost: the same op comes again on the version it was made on.
    expect(await run(session.submit(request('me', 1, 0, insertAt(0, 'a'))))).toBe(1);
    expect(session.version).toBe(2);
    expect(textOf(session.document)).toBe('bahello\n');
    const reused = await failure(session.submit(request('me', 1, 2, insertAt(0, 'other'))));
    expect(reused._tag).toBe('InvalidOperation');
  });

  it('[C8] [S1] when other writers win every race, the retry budget ends in Unavailable and nothing changes', async () => {
    let attempts = 0;
    const busyStore = strictFake<Store>('DocumentStore', {
      appendOp: (op: StoredOp) =>
        Effect.suspend(() => {
          attempts++;
          return Effect.fail(new VersionTaken({ docId: op.docId, version: op.version }));
        }),
      // The winner's op is not readable yet (another instance between its write and our read).
      readOps: () => Effect.succeed([]),
    });
    const session = new DocumentSession(
      sessionDeps(busyStore, { publish: () => expect.unreachable('nothing commits') }),
      { docId: 'busy', version: 0, ops: [{ insert: 'hello\n' }], updatedAt: 0 },
      [],
    );
    suite.keep(session);
    const exit = await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(session.submit(request('me', 1, 0, insertAt(0, 'x'))));
        // The backoff between attempts runs on the test clock: no real waiting.
        yield* TestClock.adjust('1 minute');
        return yield* Fiber.await(fiber);
      }).pipe(Effect.provide(TestClock.layer())),
    );
    expect(Exit.isFailure(exit) && Cause.findErrorOption(exit.cause)).toMatchObject({
      _tag: 'Some',
      value: { _tag: 'Unavailable' },
    });
    expect(attempts).toBe(10);
    expect(session.version).toBe(0);
    expect(textOf(session.document)).toBe('hello\n');
  });

  it('[C8] a storage failure on commit fails the submit, changes nothing, and the next submit commits', async () => {
    const { session: healthy } = await fresh('hello\n');
    let failNext = true;
    const flaky: Store = {
      ...suite.store,
      appendOp: (op) =>
        Effect.suspend(() => {
          if (!failNext) return suite.store.appendOp(op);
          failNext = false;
          return Effect.fail(new StorageFailure({ operation: 'appendOp', retryable: true, cause: 'busy' }));
        }),
    };
    const published: number[] = [];
    const session = new DocumentSession(
      sessionDeps(flaky, { publish: (_id, op) => published.push(op.version) }),
      { docId: healthy.id, version: 0, ops: [{ insert: 'hello\n' }], updatedAt: 0 },
      [],
    );
    suite.keep(session);
    const error = await failure(session.submit(request('me', 1, 0, insertAt(0, 'x'))));
    expect(error).toMatchObject({ _tag: 'StorageFailure', retryable: true });
    expect(session.version).toBe(0);
    expect(textOf(session.document)).toBe('hello\n');
    expect(await storedOps(session.id)).toEqual([]);
    // The client resends the same op [C8]; it commits once.
    expect(await run(session.submit(request('me', 1, 0, insertAt(0, 'x'))))).toBe(1);
    expect(textOf(session.document)).toBe('xhello\n');
    expect(published).toEqual([1]);
  });

  it('[S1] a storage failure while catching up after a lost race fails the submit and leaves the session as it was', async () => {
    const { session: healthy } = await fresh('hello\n');
    let readFails = true;
    const flaky: Store = {
      ...suite.store,
      readOps: (...args) =>
        readFails
          ? Effect.fail(new StorageFailure({ operation: 'readOps', retryable: true, cause: 'timeout' }))
          : suite.store.readOps(...args),
    };
    const session = new DocumentSession(
      sessionDeps(flaky),
      { docId: healthy.id, version: 0, ops: [{ insert: 'hello\n' }], updatedAt: 0 },
      [],
    );
    suite.keep(session);
    await commitElsewhere(suite.store, session.id, 1, insertAt(0, 'A'));
    const error = await failure(session.submit(request('me', 1, 0, insertAt(5, '!'))));
    expect(error._tag).toBe('StorageFailure');
    expect(session.version).toBe(0);
    expect(textOf(session.document)).toBe('hello\n');
    readFails = false;
    expect(await run(session.submit(request('me', 1, 0, insertAt(5, '!'))))).toBe(2);
    expect(textOf(session.document)).toBe('Ahello!\n');
  });

  it('[C1] an op that does not fit the document is refused and nothing is stored', async () => {
    const { session } = await fresh('hi\n');
    const error = await failure(session.submit(request('me', 1, 0, new Delta().retain(10).insert('x'))));
    expect(error._tag).toBe('InvalidOperation');
    expect(session.version).toBe(0);
    expect(await storedOps(session.id)).toEqual([]);
  });
});

describe('DocumentSession reads [P2] [L1]', () => {
  /** A session with ops 1…12 committed, counting what it reads from storage. */
  async function withHistory(recentOpsWindow: number) {
    const { session: writer } = await fresh('\n');
    for (let seq = 1; seq <= 12; seq++) {
      await run(writer.submit(request('w', seq, seq - 1, insertAt(0, String.fromCharCode(96 + seq)))));
    }
    const reads: [number, number | undefined, number | undefined][] = [];
    const counting: Store = {
      ...suite.store,
      readOps: (docId, after, to, limit) => {
        reads.push([after, to, limit]);
        return suite.store.readOps(docId, after, to, limit);
      },
    };
    const { session } = await openSession(counting, writer.id, undefined, { recentOpsWindow });
    suite.keep(session);
    reads.length = 0;
    return { session, reads };
  }

  it('[P2] opsBetween answers exactly the ops in the range from memory when the recent window holds them', async () => {
    const { session, reads } = await withHistory(8);
    expect(session.keeps(3)).toBe(false);
    expect(session.keeps(4)).toBe(true);
    for (let after = 4; after <= 12; after++) {
      for (let to = after; to <= 12; to++) {
        for (const limit of [1, 2, Number.POSITIVE_INFINITY]) {
          const ops = await run(session.opsBetween(after, to, limit));
          const expected = [];
          for (let v = after + 1; v <= to && expected.length < limit; v++) expected.push(v);
          expect(
            ops.map((op) => op.version),
            `after ${after}, to ${to}, limit ${limit}`,
          ).toEqual(expected);
        }
      }
    }
    expect(reads).toEqual([]);
  });

  it('[P2] opsBetween reads storage for exactly the range when the window does not reach back far enough', async () => {
    const { session, reads } = await withHistory(4);
    const ops = await run(session.opsBetween(2, 9, 3));
    expect(ops.map((op) => op.version)).toEqual([3, 4, 5]);
    expect(reads).toEqual([[2, 9, 3]]);
  });

  it('[L1] a submit made on a version older than the recent window is refused with VersionTooOld', async () => {
    const { session, reads } = await withHistory(4);
    const error = await failure(session.submit(request('late', 1, 2, insertAt(0, 'z'))));
    expect(error._tag).toBe('VersionTooOld');
    expect(reads).toEqual([]);
    expect(session.version).toBe(12);
  });
});

describe('DocumentSession and other instances [S4]', () => {
  it('[S4] an announced op is applied when it is next, a gap is filled from storage, and old ones are ignored', async () => {
    const { session } = await fresh('abc\n');
    const seen: number[] = [];
    session.onCommit((op) => seen.push(op.version));
    await commitElsewhere(suite.store, session.id, 1, insertAt(0, '1'));
    await run(
      session.receiveRemote({ version: 1, delta: { ops: [{ insert: '1' }] }, clientId: 'x', seq: 1 }),
    );
    await commitElsewhere(suite.store, session.id, 2, insertAt(0, '2'));
    await commitElsewhere(suite.store, session.id, 3, insertAt(0, '3'));
    // Version 2's announcement was lost: version 3 reveals the gap, filled from storage.
    await run(
      session.receiveRemote({ version: 3, delta: { ops: [{ insert: '3' }] }, clientId: 'x', seq: 3 }),
    );
    await run(
      session.receiveRemote({ version: 2, delta: { ops: [{ insert: '2' }] }, clientId: 'x', seq: 2 }),
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(textOf(session.document)).toBe('321abc\n');
  });

  it('[S4] an announced op that does not apply is read from storage instead of trusted', async () => {
    const { session } = await fresh('abc\n');
    await commitElsewhere(suite.store, session.id, 1, insertAt(3, 'd'));
    await run(
      session.receiveRemote({
        version: 1,
        delta: { ops: [{ retain: 50 }, { insert: 'forged' }] },
        clientId: 'x',
        seq: 1,
      }),
    );
    expect(textOf(session.document)).toBe('abcd\n');
  });
});

describe('DocumentSession snapshots [S2]', () => {
  /** A session whose background fibers (the snapshot timer) run on a test clock. */
  async function onTestClock(settings: Parameters<typeof openSession>[3]) {
    const clock = ManagedRuntime.make(TestClock.layer());
    const { session } = await fresh('\n', settings);
    const timed = new DocumentSession(
      sessionDeps(suite.store, {
        settings: { ...quietSettings, ...settings },
        fork: (effect) => clock.runFork(effect),
      }),
      { docId: session.id, version: 0, ops: [{ insert: '\n' }], updatedAt: 0 },
      [],
    );
    suite.keep(timed);
    const commit = (seq: number) => run(timed.submit(request('w', seq, seq - 1, insertAt(0, 'x'))));
    const snapshotVersion = async () => (await run(suite.store.loadSnapshot(session.id)))?.version;
    const advance = (ms: number) => clock.runPromise(TestClock.adjust(ms));
    return { commit, snapshotVersion, advance, dispose: () => clock.dispose() };
  }

  it('[S2] a snapshot is written SNAPSHOT_INTERVAL_MS after the first op not in one, not on every op', async () => {
    const t = await onTestClock({ snapshotIntervalMs: 10_000, snapshotEveryOps: 100 });
    await t.commit(1);
    await t.advance(5_000);
    await t.commit(2);
    await t.advance(4_999);
    expect(await t.snapshotVersion()).toBe(0);
    await t.advance(1);
    expect(await t.snapshotVersion()).toBe(2);
    // Nothing new: no snapshot however long.
    await t.advance(60_000);
    await t.commit(3);
    await t.advance(9_999);
    expect(await t.snapshotVersion()).toBe(2);
    await t.advance(1);
    expect(await t.snapshotVersion()).toBe(3);
    await t.dispose();
  });

  it('[S2] a snapshot is written at once after SNAPSHOT_EVERY_OPS ops, without waiting for the interval', async () => {
    const t = await onTestClock({ snapshotIntervalMs: 3_600_000, snapshotEveryOps: 3 });
    await t.commit(1);
    await t.commit(2);
    expect(await t.snapshotVersion()).toBe(0);
    await t.commit(3);
    // The snapshot runs as a background fiber: let it run.
    await t.advance(0);
    expect(await t.snapshotVersion()).toBe(3);
    await t.dispose();
  });
});
