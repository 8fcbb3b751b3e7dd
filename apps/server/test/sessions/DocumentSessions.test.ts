import { Delta } from '@collab/ot';
import type { CommittedOp, DeltaJson } from '@collab/protocol';
import { Cause, Effect, Exit, Layer, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Broadcast, type BroadcastHandlers } from '../../src/broadcast/Broadcast.js';
import { Config, parseConfig } from '../../src/config.js';
import { RateLimited } from '../../src/domain/errors.js';
import { Images } from '../../src/images/Images.js';
import { type AdmitCreation, DocumentSessions } from '../../src/sessions/DocumentSessions.js';
import { DocumentStore, type Snapshot, StorageFailure } from '../../src/storage/DocumentStore.js';
import * as SqliteStore from '../../src/storage/sqlite/SqliteStore.js';
import { strictFake } from '../support/strictFake.js';

type Store = DocumentStore['Service'];

const idleMs = 60_000;

/** Replacements for some calls of the store, each given the real store; set and cleared by a test. */
type Intercepts = { -readonly [K in keyof Store]?: (real: Store) => Store[K] };

/** What the fake broadcast saw: the other instances' side of [S4]. */
interface Instances {
  /** The handlers this instance listens with, per document, to play another instance's messages. */
  readonly listeners: Map<string, BroadcastHandlers>;
  readonly unsubscribed: string[];
  readonly published: { docId: string; version: number }[];
  /** Runs when a document is subscribed to, before the subscription is answered. */
  onSubscribe?: (docId: string) => void;
}

/**
 * The real session layer on an in-memory SQLite store, as `makeApp` wires it, its time on a test clock;
 * the store can be intercepted call by call and other instances are a recording fake.
 */
function setup(env: Record<string, string> = {}) {
  const config = parseConfig({
    SQLITE_PATH: ':memory:',
    IDLE_UNLOAD_MS: String(idleMs),
    SNAPSHOT_EVERY_OPS: '100000',
    SNAPSHOT_INTERVAL_MS: '3600000',
    ...env,
  });
  const intercepts: Intercepts = {};
  const interceptedStore = Layer.effect(
    DocumentStore,
    Effect.gen(function* () {
      const real = yield* DocumentStore;
      return new Proxy(real, {
        get: (target, property) => {
          const intercept = intercepts[property as keyof Store];
          return intercept ? intercept(real) : Reflect.get(target, property);
        },
      });
    }),
  ).pipe(Layer.provide(SqliteStore.layer({ path: ':memory:' })));
  const instances: Instances = { listeners: new Map(), unsubscribed: [], published: [] };
  const broadcast = strictFake<Broadcast['Service']>('Broadcast', {
    publishOp: (docId, op) =>
      Effect.sync(() => void instances.published.push({ docId, version: op.version })),
    subscribe: (docId, handlers) =>
      Effect.sync(() => {
        instances.onSubscribe?.(docId);
        instances.listeners.set(docId, handlers);
        return () => void instances.unsubscribed.push(docId);
      }),
  });
  const runtime = ManagedRuntime.make(
    DocumentSessions.layer.pipe(
      Layer.provideMerge(Images.layer),
      Layer.provideMerge(Layer.mergeAll(interceptedStore, Layer.succeed(Broadcast, broadcast))),
      Layer.provideMerge(Layer.succeed(Config, config)),
      Layer.provideMerge(TestClock.layer()),
    ),
  );
  runtimes.push(runtime);
  type Services = ManagedRuntime.ManagedRuntime.Services<typeof runtime>;
  const run = <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(effect);
  const failure = async <A, E>(effect: Effect.Effect<A, E, Services>): Promise<E> => {
    const exit = await runtime.runPromiseExit(effect);
    if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`);
    const error = Cause.findErrorOption(exit.cause);
    if (error._tag === 'None') throw Cause.squash(exit.cause);
    // The layer's own construction failure is not one a test expects.
    return error.value as E;
  };
  const services = run(
    Effect.gen(function* () {
      return { sessions: yield* DocumentSessions, store: yield* DocumentStore };
    }),
  );
  /** Moves the test clock, running whatever falls due (background fibers included) before it resolves. */
  const advance = (ms: number) => run(TestClock.adjust(ms));
  return { services, run, failure, advance, intercepts, instances, dispose: () => runtime.dispose() };
}

const runtimes: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.dispose();
});

const doc = (text: string): DeltaJson => ({ ops: [{ insert: text }] });
const insert = (text: string, at = 0) =>
  at > 0 ? new Delta().retain(at).insert(text) : new Delta().insert(text);
const storageFailure = (operation: string) =>
  Effect.fail(new StorageFailure({ operation, retryable: true, cause: 'unavailable' }));
/** An admission that records the sizes it was asked for. */
function recordingAdmit(): AdmitCreation & { readonly asked: number[] } {
  const asked: number[] = [];
  return Object.assign((bytes: number) => Effect.sync(() => void asked.push(bytes)), { asked });
}

describe('DocumentSessions creation [D1]', () => {
  it('[D1] create makes a document at version 0, empty by default, without loading it; an existing id is refused', async () => {
    const t = setup();
    const { sessions, store } = await t.services;
    expect(await t.run(sessions.create('empty', undefined))).toEqual({
      id: 'empty',
      version: 0,
      delta: { ops: [{ insert: '\n' }] },
    });
    expect(await t.run(sessions.create('text', doc('hello\n')))).toEqual({
      id: 'text',
      version: 0,
      delta: { ops: [{ insert: 'hello\n' }] },
    });
    expect(sessions.loadedCount()).toBe(0);
    expect((await t.run(store.loadSnapshot('text')))?.ops).toEqual([{ insert: 'hello\n' }]);
    const exists = await t.failure(sessions.create('text', doc('other\n')));
    expect(exists).toMatchObject({ _tag: 'DocumentExists', message: 'Document "text" already exists' });
    expect((await t.run(store.loadSnapshot('text')))?.ops).toEqual([{ insert: 'hello\n' }]);
  });

  it('[D1] [L1] create admits the size of the document and refuses invalid or oversized ones before admitting', async () => {
    const t = setup({ MAX_DOCUMENT_BYTES: '100' });
    const { sessions, store } = await t.services;
    const admit = recordingAdmit();
    const text = `${'x'.repeat(100 - JSON.stringify([{ insert: '\n' }]).length)}\n`;
    const contents = doc(text);
    const bytes = JSON.stringify(contents.ops).length;
    expect(bytes).toBe(100);
    await t.run(sessions.create('at-limit', contents, admit));
    expect(admit.asked).toEqual([100]);

    const over = await t.failure(sessions.create('over', doc(`x${text}`), admit));
    expect(over).toMatchObject({
      _tag: 'LimitExceeded',
      message: 'The document is 101 bytes, over the limit of 100 bytes',
    });
    const invalid = await t.failure(sessions.create('invalid', doc('no final newline'), admit));
    expect(invalid).toMatchObject({
      _tag: 'InvalidOperation',
      message: expect.stringMatching(/^Invalid document: ./),
    });
    expect(admit.asked).toEqual([100]);
    expect(await t.run(store.loadSnapshot('over'))).toBeUndefined();
    expect(await t.run(store.loadSnapshot('invalid'))).toBeUndefined();
  });

  it('[L3] a creation refused by its quota stores nothing', async () => {
    const t = setup();
    const { sessions, store } = await t.services;
    const refuse = () => Effect.fail(new RateLimited({ message: 'slow down', retryAfterMs: 1_000 }));
    expect((await t.failure(sessions.create('refused', undefined, refuse)))._tag).toBe('RateLimited');
    expect((await t.failure(sessions.getOrCreate('refused', refuse)))._tag).toBe('RateLimited');
    expect(await t.run(store.loadSnapshot('refused'))).toBeUndefined();
  });

  it('[D1] getOrCreate creates a missing document (admitted) and opens an existing one as it is', async () => {
    const t = setup();
    const { sessions } = await t.services;
    const admit = recordingAdmit();
    expect(await t.run(sessions.getOrCreate('fresh', admit))).toEqual({
      id: 'fresh',
      version: 0,
      delta: { ops: [{ insert: '\n' }] },
      created: true,
    });
    expect(admit.asked).toEqual([JSON.stringify([{ insert: '\n' }]).length]);
    await t.run(sessions.submit('fresh', { clientId: 'c', seq: 1, baseVersion: 0, delta: insert('hi') }));
    expect(await t.run(sessions.getOrCreate('fresh', admit))).toEqual({
      id: 'fresh',
      version: 1,
      delta: { ops: [{ insert: 'hi\n' }] },
      created: false,
    });
    expect(admit.asked).toHaveLength(1);
  });

  it('[D1] getOrCreate racing another creation of the same id opens the document the other one made', async () => {
    const t = setup();
    const { sessions } = await t.services;
    // Another instance creates the document between our lookup and our creation.
    t.intercepts.createDocument = (real) => (snapshot: Snapshot) =>
      real
        .createDocument({ ...snapshot, ops: [{ insert: 'theirs\n' }] })
        .pipe(Effect.andThen(real.createDocument(snapshot)));
    expect(await t.run(sessions.getOrCreate('raced'))).toEqual({
      id: 'raced',
      version: 0,
      delta: { ops: [{ insert: 'theirs\n' }] },
      created: false,
    });
  });
});

describe('DocumentSessions loading [S2] [S3]', () => {
  it('[S3] a missing document is not found and leaves nothing loaded; once created it opens', async () => {
    const t = setup();
    const { sessions } = await t.services;
    const missing = await t.failure(sessions.get('later'));
    expect(missing).toMatchObject({ _tag: 'DocumentNotFound', message: 'Document "later" not found' });
    expect((await t.failure(sessions.lease('later')))._tag).toBe('DocumentNotFound');
    expect(sessions.loadedCount()).toBe(0);
    await t.run(sessions.create('later', doc('now\n')));
    expect(await t.run(sessions.get('later'))).toEqual({ id: 'later', version: 0, delta: doc('now\n') });
    expect(sessions.loadedCount()).toBe(1);
  });

  it('[S3] a load that fails on storage leaves nothing loaded, and the next request loads it', async () => {
    const t = setup();
    const { sessions } = await t.services;
    await t.run(sessions.create('flaky', doc('ok\n')));
    t.intercepts.loadSnapshot = () => () => storageFailure('loadSnapshot');
    expect((await t.failure(sessions.get('flaky')))._tag).toBe('StorageFailure');
    expect(sessions.loadedCount()).toBe(0);
    delete t.intercepts.loadSnapshot;
    expect((await t.run(sessions.get('flaky'))).delta).toEqual(doc('ok\n'));
  });

  it('[S3] requests arriving together load the document once', async () => {
    const t = setup();
    const { sessions } = await t.services;
    await t.run(sessions.create('shared', undefined));
    let loads = 0;
    t.intercepts.loadSnapshot = (real) => (docId: string) =>
      Effect.sync(() => loads++).pipe(Effect.andThen(real.loadSnapshot(docId)));
    const versions = await t.run(
      Effect.all(
        Array.from({ length: 5 }, () => sessions.get('shared')),
        { concurrency: 'unbounded' },
      ),
    );
    expect(versions.map((snapshot) => snapshot.version)).toEqual([0, 0, 0, 0, 0]);
    expect(loads).toBe(1);
  });

  it('[S2] [L1] a reloaded document rebases an op made a little before its snapshot', async () => {
    const t = setup({ RECENT_OPS_WINDOW: '5' });
    const { sessions } = await t.services;
    await t.run(sessions.create('reload', doc('abc\n')));
    for (let seq = 1; seq <= 4; seq++) {
      await t.run(
        sessions.submit('reload', { clientId: 'w', seq, baseVersion: seq - 1, delta: insert(String(seq)) }),
      );
    }
    await t.advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);
    // The snapshot is at 4; a client still on version 2 is rebased over 3 and 4.
    const version = await t.run(
      sessions.submit('reload', { clientId: 'late', seq: 1, baseVersion: 2, delta: insert('!', 5) }),
    );
    expect(version).toBe(5);
    expect((await t.run(sessions.get('reload'))).delta).toEqual(doc('4321abc!\n'));
  });

  it('[S4] a load catches up with ops another instance committed before the subscription started', async () => {
    const t = setup();
    const { sessions, store } = await t.services;
    await t.run(sessions.create('racy', doc('abc\n')));
    t.instances.onSubscribe = () =>
      Effect.runSync(
        store.appendOp({
          docId: 'racy',
          version: 1,
          ops: [{ insert: 'x' }],
          clientId: 'o',
          seq: 1,
          createdAt: 0,
        }),
      );
    const lease = await t.run(sessions.lease('racy'));
    expect(lease.session.version).toBe(1);
    expect(lease.session.document.ops).toEqual([{ insert: 'xabc\n' }]);
    lease.release();
  });
});

describe('DocumentSessions and other instances [S4]', () => {
  it('[S4] ops committed here are published; ops announced by others are applied; a resync reads storage', async () => {
    const t = setup();
    const { sessions, store } = await t.services;
    await t.run(sessions.create('multi', doc('abc\n')));
    await t.run(sessions.submit('multi', { clientId: 'me', seq: 1, baseVersion: 0, delta: insert('1') }));
    await t.advance(0);
    expect(t.instances.published).toEqual([{ docId: 'multi', version: 1 }]);

    const lease = await t.run(sessions.lease('multi'));
    const remote = t.instances.listeners.get('multi');
    if (!remote) throw new Error('the session does not listen to other instances');
    const elsewhere = (version: number, text: string): CommittedOp => {
      Effect.runSync(
        store.appendOp({
          docId: 'multi',
          version,
          ops: [{ insert: text }],
          clientId: 'o',
          seq: version,
          createdAt: 0,
        }),
      );
      return { version, delta: { ops: [{ insert: text }] }, clientId: 'o', seq: version };
    };
    remote.onOp(elsewhere(2, '2'));
    await t.advance(0);
    expect(lease.session.version).toBe(2);
    // The announcement of 3 was lost: a resync finds it in storage.
    elsewhere(3, '3');
    remote.onResync();
    await t.advance(0);
    expect(lease.session.version).toBe(3);
    expect(lease.session.document.ops).toEqual([{ insert: '321abc\n' }]);
    // A read follows storage too, even when no message came at all.
    elsewhere(4, '4');
    expect((await t.run(sessions.get('multi'))).version).toBe(4);
    lease.release();
  });

  it('[S4] a failing catch-up on a message from another instance is logged; the session goes on', async () => {
    const t = setup();
    const { sessions } = await t.services;
    await t.run(sessions.create('gap', doc('abc\n')));
    const lease = await t.run(sessions.lease('gap'));
    t.intercepts.readOps = () => () => storageFailure('readOps');
    const remote = t.instances.listeners.get('gap');
    remote?.onResync();
    remote?.onOp({ version: 5, delta: { ops: [{ insert: 'x' }] }, clientId: 'o', seq: 5 });
    await t.advance(0);
    delete t.intercepts.readOps;
    expect(
      await t.run(sessions.submit('gap', { clientId: 'me', seq: 1, baseVersion: 0, delta: insert('y') })),
    ).toBe(1);
    lease.release();
  });
});

describe('DocumentSessions writes', () => {
  it('[D1] replace commits the difference as one op, nothing when the contents are the same', async () => {
    const t = setup();
    const { sessions, store } = await t.services;
    await t.run(sessions.create('saved', doc('hello world\n')));
    expect(await t.run(sessions.replace('saved', doc('hello there\n'), 'saver'))).toEqual({ version: 1 });
    expect(await t.run(sessions.replace('saved', doc('hello there\n'), 'saver'))).toEqual({ version: 1 });
    const ops = await t.run(store.readOps('saved', 0));
    expect(ops.map((op) => op.clientId)).toEqual(['saver']);
    expect((await t.run(sessions.get('saved'))).delta).toEqual(doc('hello there\n'));
    expect((await t.failure(sessions.replace('saved', doc('no newline'), 'saver')))._tag).toBe(
      'InvalidOperation',
    );
    expect((await t.failure(sessions.replace('nowhere', doc('x\n'), 'saver')))._tag).toBe('DocumentNotFound');
  });

  it('[S2] the configured snapshot cadence applies: every SNAPSHOT_EVERY_OPS ops, history every HISTORY_SNAPSHOT_EVERY_OPS', async () => {
    const t = setup({ SNAPSHOT_EVERY_OPS: '2', HISTORY_SNAPSHOT_EVERY_OPS: '4' });
    const { sessions, store } = await t.services;
    await t.run(sessions.create('cadence', undefined));
    const lease = await t.run(sessions.lease('cadence'));
    for (let seq = 1; seq <= 4; seq++) {
      await t.run(
        sessions.submit('cadence', { clientId: 'c', seq, baseVersion: seq - 1, delta: insert(String(seq)) }),
      );
      await t.advance(0);
      expect((await t.run(store.loadSnapshot('cadence')))?.version, `after op ${seq}`).toBe(seq - (seq % 2));
    }
    expect((await t.run(store.loadArchivedSnapshot('cadence', 3)))?.version).toBe(0);
    expect((await t.run(store.loadArchivedSnapshot('cadence', 4)))?.version).toBe(4);
    lease.release();
  });

  it('[S2] the configured snapshot interval applies', async () => {
    const t = setup({ SNAPSHOT_INTERVAL_MS: '1000' });
    const { sessions, store } = await t.services;
    await t.run(sessions.create('timed', undefined));
    const lease = await t.run(sessions.lease('timed'));
    await t.run(sessions.submit('timed', { clientId: 'c', seq: 1, baseVersion: 0, delta: insert('x') }));
    await t.advance(999);
    expect((await t.run(store.loadSnapshot('timed')))?.version).toBe(0);
    await t.advance(1);
    expect((await t.run(store.loadSnapshot('timed')))?.version).toBe(1);
    lease.release();
  });

  it('[L1] the configured recent window and rebase bound apply to submits', async () => {
    const t = setup({ RECENT_OPS_WINDOW: '2', MAX_REBASE_STEPS: '5' });
    const { sessions } = await t.services;
    await t.run(sessions.create('bounded', undefined));
    for (let seq = 1; seq <= 3; seq++) {
      await t.run(
        sessions.submit('bounded', { clientId: 'w', seq, baseVersion: seq - 1, delta: insert('x') }),
      );
    }
    const old = await t.failure(
      sessions.submit('bounded', { clientId: 'late', seq: 1, baseVersion: 0, delta: insert('y') }),
    );
    expect(old._tag).toBe('VersionTooOld');
    // Two ops since version 1, of one op each: (1 + 1) * 2 = 4 steps, within the bound...
    expect(
      await t.run(sessions.submit('bounded', { clientId: 'a', seq: 1, baseVersion: 1, delta: insert('y') })),
    ).toBe(4);
    // ...while a two-op change over the two ops since version 2 takes at least (2 + 1) * 2 = 6.
    const large = await t.failure(
      sessions.submit('bounded', { clientId: 'b', seq: 1, baseVersion: 2, delta: insert('z', 1) }),
    );
    expect(large._tag).toBe('VersionTooOld');
  });
});

describe('DocumentSessions leases [L3] [S3]', () => {
  it('[L3] a document takes at most MAX_CONNECTIONS_PER_DOCUMENT streams; a refused lease holds nothing', async () => {
    const t = setup({ MAX_CONNECTIONS_PER_DOCUMENT: '2' });
    const { sessions } = await t.services;
    await t.run(sessions.create('busy', undefined));
    const first = await t.run(sessions.lease('busy'));
    const second = await t.run(sessions.lease('busy'));
    expect(second.session).toBe(first.session);
    expect(first.session.streams).toBe(2);
    const refused = await t.failure(sessions.lease('busy'));
    expect(refused).toMatchObject({
      _tag: 'TooManyConnections',
      message: 'Document "busy" already has 2 connections (streams) open; try again later',
      retryAfterMs: 5_000,
    });
    expect(first.session.users).toBe(2);

    first.release();
    first.release();
    expect(second.session.streams).toBe(1);
    const third = await t.run(sessions.lease('busy'));
    second.release();
    third.release();
    await t.advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);
  });

  it('[S3] an unloaded document stops listening to other instances; a failed snapshot does not keep it loaded', async () => {
    const t = setup();
    const { sessions, store } = await t.services;
    await t.run(sessions.create('leaving', undefined));
    await t.run(sessions.submit('leaving', { clientId: 'c', seq: 1, baseVersion: 0, delta: insert('x') }));
    t.intercepts.saveSnapshot = () => () => storageFailure('saveSnapshot');
    await t.advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);
    expect(t.instances.unsubscribed).toEqual(['leaving']);
    delete t.intercepts.saveSnapshot;
    expect((await t.run(store.loadSnapshot('leaving')))?.version).toBe(0);
    // The op log still has the op: the document reloads whole.
    expect((await t.run(sessions.get('leaving'))).delta).toEqual(doc('x\n'));
  });

  it('[S3] a session still used when its idle time ends stays loaded', async () => {
    const t = setup();
    const { sessions } = await t.services;
    await t.run(sessions.create('held', undefined));
    const lease = await t.run(sessions.lease('held'));
    // A request comes and goes while the lease holds the session: no idle timer starts.
    await t.run(sessions.get('held'));
    await t.advance(idleMs);
    expect(sessions.loadedCount()).toBe(1);
    lease.release();
    await t.advance(idleMs - 1);
    expect(sessions.loadedCount()).toBe(1);
    await t.advance(1);
    expect(sessions.loadedCount()).toBe(0);
  });
});

describe('DocumentSessions shutdown [S5]', () => {
  it('[S5] shutting down snapshots every open document and stops listening, even when a snapshot fails', async () => {
    const t = setup();
    const { sessions } = await t.services;
    const saved: [string, number][] = [];
    t.intercepts.saveSnapshot = (real) => (snapshot: Snapshot) => {
      if (snapshot.docId === 'broken') return storageFailure('saveSnapshot');
      saved.push([snapshot.docId, snapshot.version]);
      return real.saveSnapshot(snapshot);
    };
    for (const id of ['one', 'two', 'broken', 'unchanged']) await t.run(sessions.create(id, undefined));
    for (const id of ['one', 'two', 'broken']) {
      await t.run(sessions.submit(id, { clientId: 'c', seq: 1, baseVersion: 0, delta: insert('x') }));
    }
    await t.run(sessions.submit('two', { clientId: 'c', seq: 2, baseVersion: 1, delta: insert('y') }));
    await t.run(sessions.get('unchanged'));
    expect(sessions.loadedCount()).toBe(4);
    await t.dispose();
    expect(saved.sort()).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
    expect(t.instances.unsubscribed.sort()).toEqual(['broken', 'one', 'two', 'unchanged']);
    expect(sessions.loadedCount()).toBe(0);
  });
});
