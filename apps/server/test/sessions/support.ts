import { Delta } from '@collab/ot';
import { type CommittedOp, limitDefaults, type Op } from '@collab/protocol';
import { Cause, Effect, Exit, FiberSet, Scope } from 'effect';
import { afterAll, beforeAll } from 'vitest';
import {
  type CommitRequest,
  DocumentSession,
  type SessionDeps,
  type SessionSettings,
} from '../../src/sessions/DocumentSession.js';
import type { Snapshot, StoredOp } from '../../src/storage/DocumentStore.js';
import * as SqliteStore from '../../src/storage/sqlite/SqliteStore.js';
import { type OpenStore, openStore } from '../storage/helpers.js';
import { strictFake } from '../support/strictFake.js';

export type Store = OpenStore['store'];

/** Settings that keep snapshots out of the way unless a test asks for them. */
export const quietSettings: SessionSettings = {
  recentOpsWindow: 1_000,
  maxRebaseSteps: 1_000_000,
  snapshotEveryOps: 1_000_000,
  snapshotIntervalMs: 3_600_000,
  historySnapshotEveryOps: 1_000_000,
  limits: { ...limitDefaults },
};

/** A scope for the sessions' background fibers, as the app's runtime gives them; `close` interrupts them. */
export function backgroundFibers() {
  const scope = Effect.runSync(Scope.make());
  const fork = Effect.runSync(FiberSet.makeRuntime().pipe(Scope.provide(scope)));
  return { fork, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) };
}

const background = backgroundFibers();

/** What a session needs, with quiet settings and background fibers that live as long as the test file. */
export function sessionDeps(store: Store, overrides: Partial<Omit<SessionDeps, 'store'>> = {}): SessionDeps {
  return { store, settings: quietSettings, publish: () => {}, fork: background.fork, ...overrides };
}

/** A private in-memory SQLite database serving the real store. */
export function openMemoryStore(): Promise<OpenStore> {
  return openStore(SqliteStore.layer({ path: ':memory:' }));
}

export interface OpenedSession {
  readonly session: DocumentSession;
  /** What the session published, in order [S4]. */
  readonly published: CommittedOp[];
}

/** Creates `docId` with `text` in `store` (unless it exists) and loads it the way `DocumentSessions` does. */
export function openSession(
  store: Store,
  docId: string,
  text = 'hello world\n',
  settings: Partial<SessionSettings> = {},
): OpenedSession {
  const full = { ...quietSettings, ...settings };
  const published: CommittedOp[] = [];
  // The SQLite store answers synchronously, so simulations can open sessions inside a property run.
  const session = Effect.runSync(
    Effect.gen(function* () {
      if ((yield* store.loadSnapshot(docId)) === undefined) {
        yield* store.createDocument({ docId, version: 0, ops: [{ insert: text }], updatedAt: 0 });
      }
      const snapshot = yield* store.loadSnapshot(docId);
      if (!snapshot) throw new Error(`${docId} was not created`);
      const ops = yield* store.readOps(docId, Math.max(0, snapshot.version - full.recentOpsWindow));
      return new DocumentSession(
        sessionDeps(store, { settings: full, publish: (_docId, op) => published.push(op) }),
        snapshot,
        ops,
      );
    }),
  );
  return { session, published };
}

/** Writes an op straight to storage, as another server instance sharing the database would [S1]. */
export function commitElsewhere(
  store: Store,
  docId: string,
  version: number,
  delta: Delta,
  clientId = 'other',
) {
  return Effect.runPromise(
    store.appendOp({ docId, version, ops: delta.ops as Op[], clientId, seq: version, createdAt: 0 }),
  );
}

export const request = (clientId: string, seq: number, baseVersion: number, delta: Delta): CommitRequest => ({
  clientId,
  seq,
  baseVersion,
  delta,
});

export const insertAt = (at: number, text: string) =>
  at > 0 ? new Delta().retain(at).insert(text) : new Delta().insert(text);

/** The plain text of a document made of text inserts. */
export const textOf = (doc: Delta) =>
  doc.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

/** Runs a session effect to its value. */
export const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);

/** Runs a session effect that must fail, to its typed error (a defect or a success fails the test). */
export async function failure<A, E>(effect: Effect.Effect<A, E>): Promise<E> {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`);
  const error = Cause.findErrorOption(exit.cause);
  if (error._tag === 'None') throw Cause.squash(exit.cause);
  return error.value;
}

/** How a strict session starts: its document (`docId` defaults to a fresh id), settings and loaded ops. */
export interface StrictStart {
  readonly text?: string;
  readonly snapshot?: Partial<Snapshot>;
  readonly ops?: readonly StoredOp[];
  readonly settings?: Partial<SessionSettings>;
}

/**
 * One test file's shared store and sessions: a private in-memory SQLite store opened before its tests,
 * every session kept through `keep` disposed after them, and fresh document ids.
 */
export function sessionSuite() {
  let opened: OpenStore | undefined;
  const sessions: DocumentSession[] = [];
  let next = 0;
  beforeAll(async () => {
    opened = await openMemoryStore();
  });
  afterAll(async () => {
    for (const session of sessions) session.dispose();
    await opened?.dispose();
  });
  const suite = {
    get store(): Store {
      if (!opened) throw new Error('the store opens before the tests run');
      return opened.store;
    },
    /** Disposes `session` after the suite. */
    keep<S extends DocumentSession>(session: S): S {
      sessions.push(session);
      return session;
    },
    /** A document id no other test of the file uses. */
    nextId: (prefix: string) => `${prefix}-${next++}`,
    /**
     * A session over a store that offers only `provided`: any other call fails the test, which shows what
     * the session does not touch storage for.
     */
    strict(provided: Partial<Store>, start: StrictStart = {}): DocumentSession {
      const snapshot = {
        docId: suite.nextId('strict'),
        version: 0,
        ops: [{ insert: start.text ?? 'hello\n' }],
        updatedAt: 0,
        ...start.snapshot,
      };
      const settings = { ...quietSettings, ...start.settings };
      const store = strictFake<Store>('DocumentStore', provided);
      return suite.keep(new DocumentSession(sessionDeps(store, { settings }), snapshot, start.ops ?? []));
    },
  };
  return suite;
}
