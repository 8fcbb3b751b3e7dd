import { Delta } from '@collab/ot';
import type { CommittedOp, Op } from '@collab/protocol';
import { Cause, Clock, Effect, Exit, Fiber } from 'effect';
import { TestClock } from 'effect/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contentHash } from '../../src/sessions/contentHash.js';
import { DocumentSession, type SessionSettings } from '../../src/sessions/DocumentSession.js';
import { type StoredOp, VersionTaken } from '../../src/storage/DocumentStore.js';
import { strictFake } from '../support/strictFake.js';
import {
  failure,
  insertAt,
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

/** A fresh document in the shared SQLite store, loaded into a session. */
function fresh(text = 'hello\n', settings: Partial<SessionSettings> = {}): DocumentSession {
  const { session } = openSession(suite.store, suite.nextId('refusals'), text, settings);
  suite.keep(session);
  return session;
}

const committed = (version: number, delta: Delta, clientId = 'other', seq = version): CommittedOp => ({
  version,
  delta: { ops: delta.ops as Op[] },
  clientId,
  seq,
});
const appendAnything = () => Effect.void;

describe('DocumentSession resubmits [C3]', () => {
  it('[C3] a resubmit of an op still in memory is answered from memory: storage is neither read nor written', async () => {
    const session = suite.strict({ appendOp: appendAnything });
    expect(await run(session.submit(request('me', 1, 0, insertAt(0, 'a'))))).toBe(1);
    expect(await run(session.submit(request('you', 1, 1, insertAt(0, 'b'))))).toBe(2);
    // No `findOp` or `readOps` on this store: the answer comes from what the session keeps.
    expect(await run(session.submit(request('me', 1, 0, insertAt(0, 'a'))))).toBe(1);
    const reused = await failure(session.submit(request('me', 1, 2, insertAt(0, 'other'))));
    expect(reused).toMatchObject({
      _tag: 'InvalidOperation',
      message: 'seq 1 of this client was already used for a different change (version 1)',
    });
    expect(textOf(session.document)).toBe('bahello\n');
  });

  it('[C3] [S4] an op heard from another instance has no hash here: its resubmit is checked against storage', async () => {
    const mine = insertAt(0, 'a');
    const session = suite.strict({
      findOp: (_docId, clientId, seq) =>
        Effect.succeed(clientId === 'me' && seq === 1 ? { version: 1, hash: contentHash(mine) } : undefined),
    });
    await run(session.receiveRemote(committed(1, mine, 'me', 1)));
    // No `appendOp`: nothing is written again, from the version it was made on or a later one.
    expect(await run(session.submit(request('me', 1, 0, insertAt(0, 'a'))))).toBe(1);
    expect(await run(session.submit(request('me', 1, 1, insertAt(1, 'a'))))).toBe(1);
    const reused = await failure(session.submit(request('me', 1, 1, insertAt(0, 'zz'))));
    expect(reused._tag).toBe('InvalidOperation');
    expect(session.version).toBe(1);
  });

  it('[C3] an op stored before hashes were kept answers its version to any resubmit under its id', async () => {
    const session = suite.strict({ findOp: () => Effect.succeed({ version: 1, hash: undefined }) });
    await run(session.receiveRemote(committed(1, insertAt(0, 'a'), 'me', 1)));
    expect(await run(session.submit(request('me', 1, 0, insertAt(0, 'anything'))))).toBe(1);
  });

  it('[C3] an op another instance committed under the same id before this one heard of it is not written twice', async () => {
    const session = fresh('hello\n');
    const mine = insertAt(5, '!');
    await run(
      suite.store.appendOp({
        docId: session.id,
        version: 1,
        ops: mine.ops as Op[],
        clientId: 'me',
        seq: 1,
        hash: contentHash(mine),
        createdAt: 0,
      }),
    );
    expect(await run(session.submit(request('me', 1, 0, insertAt(5, '!'))))).toBe(1);
    const reused = await failure(session.submit(request('me', 1, 0, insertAt(0, '?'))));
    expect(reused._tag).toBe('InvalidOperation');
    expect(await run(suite.store.readOps(session.id, 0))).toHaveLength(1);
  });

  it('[C3] a resubmit that no longer fits the version it names is answered from storage when it was committed', async () => {
    const session = fresh('abcdefgh\n', { recentOpsWindow: 2 });
    const mine = new Delta().retain(8).insert('!');
    expect(await run(session.submit(request('me', 1, 0, mine)))).toBe(1);
    await run(session.submit(request('other', 1, 1, new Delta().delete(5))));
    await run(session.submit(request('other', 2, 2, insertAt(0, 'z'))));
    // Version 1 left the window; the op does not fit version 2 (5 characters), where the client says it is.
    expect(await run(session.submit(request('me', 1, 2, mine)))).toBe(1);
    const different = await failure(session.submit(request('me', 1, 2, new Delta().retain(8).insert('?'))));
    expect(different._tag).toBe('InvalidOperation');
    const never = await failure(session.submit(request('me', 2, 2, mine)));
    expect(never).toMatchObject({
      _tag: 'InvalidOperation',
      message: expect.stringMatching(/^Invalid operation: ./),
    });
    expect(textOf(session.document)).toBe('zfgh!\n');
    expect(session.version).toBe(3);
  });

  it('[L1] a base version older than anything kept is refused without reading history', async () => {
    // Loaded from a snapshot at 5 with no ops after it: nothing to rebase over in memory.
    const session = suite.strict({ findOp: () => Effect.succeed(undefined) }, { snapshot: { version: 5 } });
    expect(session.keeps(5)).toBe(true);
    expect(session.keeps(4)).toBe(false);
    const error = await failure(session.submit(request('me', 1, 3, insertAt(0, 'x'))));
    expect(error).toMatchObject({
      _tag: 'VersionTooOld',
      message:
        'baseVersion 3 is older than the 1000 recent versions the server keeps (head 5); catch up and send again',
    });
  });

  it('[C1] a base version ahead of the document names both versions', async () => {
    const session = fresh();
    const error = await failure(session.submit(request('me', 1, 3, insertAt(0, 'x'))));
    expect(error).toMatchObject({
      _tag: 'VersionAhead',
      message: "baseVersion 3 is ahead of the document's version 0",
    });
  });
});

describe('DocumentSession validity [C1] [C9] [A7]', () => {
  it('[C1] an op is checked against the version it was made on, not the longer head', async () => {
    const session = fresh('abc\n');
    await run(session.submit(request('other', 1, 0, insertAt(0, 'xyz'))));
    // Fits the head (7 characters) but not version 0 (4 characters), where it was made.
    const error = await failure(session.submit(request('me', 1, 0, new Delta().retain(5).insert('!'))));
    expect(error._tag).toBe('InvalidOperation');
    expect(session.version).toBe(1);
    expect(textOf(session.document)).toBe('xyzabc\n');
  });

  it('[A7] an op carrying a format the editor does not know is refused', async () => {
    const session = fresh('abc\n');
    const error = await failure(
      session.submit(request('me', 1, 0, new Delta().insert('x', { blink: true }))),
    );
    expect(error).toMatchObject({
      _tag: 'InvalidOperation',
      message: expect.stringContaining('the format "blink" is not supported'),
    });
    expect(session.version).toBe(0);
  });

  it('[C9] an op that would leave the document without its final newline is refused', async () => {
    const session = fresh('abc\n');
    const error = await failure(session.submit(request('me', 1, 0, new Delta().delete(4))));
    expect(error).toMatchObject({
      _tag: 'InvalidOperation',
      message: expect.stringMatching(/^Invalid operation: ./),
    });
    expect(textOf(session.document)).toBe('abc\n');
  });
});

describe('DocumentSession bounds [L1]', () => {
  /** Two one-op commits after version 0, then a two-op change made on version 0: 2 × (2 + 1) = 6 steps. */
  async function rebaseSteps(maxRebaseSteps: number) {
    const session = fresh('abc\n', { maxRebaseSteps });
    await run(session.submit(request('a', 1, 0, insertAt(0, 'x'))));
    await run(session.submit(request('b', 1, 1, insertAt(0, 'y'))));
    return Effect.runPromiseExit(session.submit(request('me', 1, 0, new Delta().retain(1).insert('!'))));
  }

  it('[L1] a rebase of exactly MAX_REBASE_STEPS steps commits; one more step is refused', async () => {
    const within = await rebaseSteps(6);
    expect(Exit.isSuccess(within) && within.value).toBe(3);
    const over = await rebaseSteps(5);
    expect(Exit.isFailure(over) && Cause.findErrorOption(over.cause)).toMatchObject({
      _tag: 'Some',
      value: {
        _tag: 'VersionTooOld',
        message:
          'The change is too large to rebase over the 2 ops committed since version 0; catch up and send it again',
      },
    });
  });

  /** A session whose document may take exactly the JSON of `fits` (a document of text only). */
  function limitedTo(fits: string, text: string) {
    const maxDocumentBytes = JSON.stringify([{ insert: fits }]).length;
    return {
      session: fresh(text, { limits: { ...quietSettings.limits, maxDocumentBytes } }),
      maxDocumentBytes,
    };
  }

  it('[L1] a document may grow up to MAX_DOCUMENT_BYTES, not past it', async () => {
    const { session, maxDocumentBytes } = limitedTo('hello!\n', 'hello\n');
    const over = await failure(session.submit(request('me', 1, 0, insertAt(5, '!!'))));
    expect(over).toMatchObject({
      _tag: 'LimitExceeded',
      message: `The document would be ${maxDocumentBytes + 1} bytes, over the limit of ${maxDocumentBytes} bytes`,
    });
    expect(await run(session.submit(request('me', 2, 0, insertAt(5, '!'))))).toBe(1);
    expect(textOf(session.document)).toBe('hello!\n');
  });

  it('[L1] a change inserting more than a whole document may hold is refused before it is transformed', async () => {
    const { session, maxDocumentBytes } = limitedTo('hello!\n', '\n');
    const huge = await failure(
      session.submit(request('me', 1, 0, insertAt(0, 'x'.repeat(maxDocumentBytes + 1)))),
    );
    expect(huge).toMatchObject({
      _tag: 'LimitExceeded',
      message: `The change inserts ${maxDocumentBytes + 1} characters, over the limit of ${maxDocumentBytes} bytes`,
    });
    // Exactly the limit in characters passes this check; the document it makes is still too large.
    const whole = await failure(
      session.submit(
        request('me', 2, 0, new Delta().insert('x', { bold: true }).insert('x'.repeat(maxDocumentBytes - 1))),
      ),
    );
    expect(whole).toMatchObject({
      _tag: 'LimitExceeded',
      message: expect.stringMatching(/^The document would be/),
    });
    expect(session.version).toBe(0);
  });

  it('[L1] a document over the limit may still shrink, but neither grow nor take formats', async () => {
    // The limit was lowered after the document was written.
    const { session } = limitedTo('hello\n', 'hello world\n');
    const formatted = await failure(
      session.submit(request('me', 1, 0, new Delta().retain(1).retain(2, { bold: true }))),
    );
    expect(formatted._tag).toBe('LimitExceeded');
    const grown = await failure(session.submit(request('me', 2, 0, insertAt(1, 'x'))));
    expect(grown._tag).toBe('LimitExceeded');
    expect(await run(session.submit(request('me', 3, 0, new Delta().retain(5).delete(6))))).toBe(1);
    expect(textOf(session.document)).toBe('hello\n');
  });
});

describe('DocumentSession retries [S1] [C8]', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('[S1] after a lost race the next attempt is immediate, later ones back off 8, 16, 32, 64, then 100 ms (±50%)', async () => {
    // The jitter drawn is pinned to 0.25, so every pause is 0.75 of its nominal length.
    vi.spyOn(Math, 'random').mockReturnValue(0.25);
    const attemptsAt: number[] = [];
    const busyStore = strictFake<Store>('DocumentStore', {
      appendOp: (op: StoredOp) =>
        Clock.currentTimeMillis.pipe(
          Effect.tap((now) => Effect.sync(() => attemptsAt.push(now))),
          Effect.andThen(Effect.fail(new VersionTaken({ docId: op.docId, version: op.version }))),
        ),
      readOps: () => Effect.succeed([]),
    });
    const session = new DocumentSession(
      sessionDeps(busyStore),
      { docId: 'busy', version: 0, ops: [{ insert: 'hello\n' }], updatedAt: 0 },
      [],
    );
    suite.keep(session);
    const exit = await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(session.submit(request('me', 1, 0, insertAt(0, 'x'))));
        yield* TestClock.adjust('1 minute');
        return yield* Fiber.await(fiber);
      }).pipe(Effect.provide(TestClock.layer())),
    );
    expect(Exit.isFailure(exit) && Cause.findErrorOption(exit.cause)).toMatchObject({
      _tag: 'Some',
      value: { _tag: 'Unavailable', message: 'The document is too busy right now; try again' },
    });
    const pauses = attemptsAt.slice(1).map((at, i) => at - (attemptsAt[i] as number));
    expect(pauses).toEqual([0, 6, 12, 24, 48, 75, 75, 75, 75]);
  });
});
