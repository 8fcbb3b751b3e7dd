import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Effect, Exit, Layer, Option } from 'effect';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as SqliteStore from '../../src/storage/sqlite/SqliteStore.js';
import { type TempDir, tempDir } from '../support/index.js';
import { describeDocumentStoreContract } from './contract.js';
import { newDocId, openStore, run, runFailure, sampleOp } from './helpers.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await tempDir('collab-sqlite-');
});
afterAll(async () => {
  await dir?.remove();
});

describeDocumentStoreContract('SQLite', () =>
  SqliteStore.layer({ path: join(dir.path, 'contract', 'collab.db') }),
);

const serverRoot = fileURLToPath(new URL('../..', import.meta.url));
const writerScript = fileURLToPath(new URL('./fixtures/sqliteWriter.ts', import.meta.url));

interface Writer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Versions the process reported as committed, in order. */
  readonly won: number[];
  readonly lost: number[];
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<string>;
  /** Resolves once the store is open and the process waits for `start()`. */
  readonly ready: Promise<void>;
  start(): void;
  /** Resolves once at least `count` ops were reported committed. */
  waitForWins(count: number): Promise<void>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  // A failed assertion must not leave a writer behind.
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Starts `fixtures/sqliteWriter.ts` in its own Node process (through tsx, like `pnpm dev`). */
function startWriter(path: string, docId: string, clientId: string, from: number, to: number): Writer {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', writerScript, path, docId, clientId, String(from), String(to)],
    { cwd: serverRoot, stdio: 'pipe' },
  );
  running.add(child);
  const won: number[] = [];
  const lost: number[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const waiters: { count: number; resolve: () => void }[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, version] = line.split(' ');
    if (word === 'ready') markReady();
    if (word === 'won') won.push(Number(version));
    if (word === 'lost') lost.push(Number(version));
    for (const waiter of waiters.filter((w) => won.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ?? String(code));
    });
  });
  return {
    child,
    won,
    lost,
    exited,
    ready: Promise.race([
      ready,
      exited.then((how) =>
        Promise.reject(new Error(`writer exited (${how}) before it was ready:\n${stderr}`)),
      ),
    ]),
    start: () => child.stdin.write('go\n'),
    waitForWins: (count) =>
      new Promise<void>((resolve, reject) => {
        if (won.length >= count) return resolve();
        waiters.push({ count, resolve });
        void exited.then((how) =>
          reject(new Error(`writer exited (${how}) after ${won.length} ops:\n${stderr}`)),
        );
      }),
  };
}

describe('SqliteStore', () => {
  it('creates the parent directories of the database file', async () => {
    const path = join(dir.path, 'nested', 'deeper', 'collab.db');
    const { store, dispose } = await openStore(SqliteStore.layer({ path }));
    await run(store.appendOp(sampleOp('doc', 1)));
    await dispose();
    expect(existsSync(path)).toBe(true);
  });

  it('uses WAL journaling and applies the committed migrations', async () => {
    const path = join(dir.path, 'wal', 'collab.db');
    const { dispose } = await openStore(SqliteStore.layer({ path }));
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => (row as { name: string }).name);
      expect(tables).toEqual(expect.arrayContaining(['__drizzle_migrations', 'document_ops', 'documents']));
    } finally {
      raw.close();
      await dispose();
    }
  });

  it('[S2] data survives closing and reopening the file', async () => {
    const path = join(dir.path, 'reopen', 'collab.db');
    const docId = newDocId('reopen');
    const first = await openStore(SqliteStore.layer({ path, synchronous: 'full' }));
    await run(first.store.createDocument({ docId, version: 0, ops: [{ insert: 'kept\n' }], updatedAt: 1 }));
    await run(first.store.appendOp(sampleOp(docId, 1)));
    await run(first.store.saveSnapshot({ docId, version: 1, ops: [{ insert: 'kept v1\n' }], updatedAt: 2 }));
    await first.dispose();

    const second = await openStore(SqliteStore.layer({ path }));
    expect(await run(second.store.loadSnapshot(docId))).toEqual({
      docId,
      version: 1,
      ops: [{ insert: 'kept v1\n' }],
      updatedAt: 2,
    });
    expect(await run(second.store.readOps(docId, 0))).toEqual([sampleOp(docId, 1)]);
    await second.dispose();
  });

  it('closes the database when the layer is torn down', async () => {
    const path = join(dir.path, 'teardown', 'collab.db');
    const { store, dispose } = await openStore(SqliteStore.layer({ path }));
    await dispose();
    const failure = await runFailure(store.loadSnapshot('doc'));
    expect(failure).toMatchObject({ _tag: 'StorageFailure', operation: 'loadSnapshot', retryable: false });
  });

  it('[S2] every op acknowledged before the process is killed with SIGKILL is there after reopening', async () => {
    const path = join(dir.path, 'sigkill', 'collab.db');
    const docId = newDocId('sigkill');
    const writer = startWriter(path, docId, 'victim', 1, 1_000_000);
    await writer.ready;
    writer.start();
    await writer.waitForWins(300);
    writer.child.kill('SIGKILL');
    expect(await writer.exited).toBe('SIGKILL');
    const acknowledged = [...writer.won];

    const { store, dispose } = await openStore(SqliteStore.layer({ path }));
    const stored = await run(store.readOps(docId, 0));
    await dispose();
    const storedVersions = new Set(stored.map((op) => op.version));
    expect(acknowledged.filter((version) => !storedVersions.has(version))).toEqual([]);
    // Versions are contiguous from 1: nothing was half-written or skipped before the kill [D2].
    expect(stored.map((op) => op.version)).toEqual(stored.map((_, index) => index + 1));
    expect(stored[0]?.ops).toEqual([{ insert: 'victim wrote 1' }]);
  }, 60_000);

  it('[S1] two processes racing for the same versions of one file: each version has exactly one winner', async () => {
    const path = join(dir.path, 'race', 'collab.db');
    const docId = newDocId('process-race');
    // Create the file first so both processes start from migrated tables.
    const setup = await openStore(SqliteStore.layer({ path }));
    await setup.dispose();

    const versions = 2000;
    const writers = [
      startWriter(path, docId, 'alpha', 1, versions),
      startWriter(path, docId, 'beta', 1, versions),
    ];
    await Promise.all(writers.map((writer) => writer.ready));
    for (const writer of writers) writer.start();
    expect(await Promise.all(writers.map((writer) => writer.exited))).toEqual(['0', '0']);
    const [alpha, beta] = writers as [Writer, Writer];
    const all = Array.from({ length: versions }, (_, index) => index + 1);
    expect([...alpha.won, ...beta.won].sort((a, b) => a - b)).toEqual(all);
    expect([...alpha.lost].sort((a, b) => a - b)).toEqual([...beta.won].sort((a, b) => a - b));
    expect([...beta.lost].sort((a, b) => a - b)).toEqual([...alpha.won].sort((a, b) => a - b));

    const { store, dispose } = await openStore(SqliteStore.layer({ path }));
    const stored = await run(store.readOps(docId, 0));
    await dispose();
    const alphaWon = new Set(alpha.won);
    expect(stored.map((op) => op.version)).toEqual(all);
    for (const op of stored) expect(op.clientId).toBe(alphaWon.has(op.version) ? 'alpha' : 'beta');
  }, 60_000);

  it('a write blocked by another connection past the busy timeout is a retryable StorageFailure', async () => {
    const path = join(dir.path, 'busy', 'collab.db');
    const { store, dispose } = await openStore(SqliteStore.layer({ path, busyTimeoutMs: 20 }));
    const locker = new Database(path);
    try {
      locker.exec('BEGIN IMMEDIATE');
      const failure = await runFailure(store.appendOp(sampleOp('busy-doc', 1)));
      expect(failure).toMatchObject({ _tag: 'StorageFailure', operation: 'appendOp', retryable: true });
      locker.exec('ROLLBACK');
      await run(store.appendOp(sampleOp('busy-doc', 1)));
      expect(await run(store.readOps('busy-doc', 0))).toEqual([sampleOp('busy-doc', 1)]);
    } finally {
      locker.close();
      await dispose();
    }
  });

  it('a stored value that is not a delta is a StorageFailure, not a crash', async () => {
    const path = join(dir.path, 'corrupt', 'collab.db');
    const { store, dispose } = await openStore(SqliteStore.layer({ path }));
    const raw = new Database(path);
    try {
      raw
        .prepare('INSERT INTO documents (id, data, version, created_at, updated_at) VALUES (?, ?, 0, 0, 0)')
        .run('broken', '{"not":"a delta"}');
      const failure = await runFailure(store.loadSnapshot('broken'));
      expect(failure).toMatchObject({ _tag: 'StorageFailure', operation: 'loadSnapshot', retryable: false });
    } finally {
      raw.close();
      await dispose();
    }
  });

  it('a file that cannot be opened fails the layer with a StorageFailure', async () => {
    // The temp directory itself is not a database file.
    const exit = await Effect.runPromiseExit(
      Layer.build(SqliteStore.layer({ path: dir.path })).pipe(Effect.scoped),
    );
    expect(Exit.isFailure(exit)).toBe(true);
    const failure = Option.getOrUndefined(Exit.findErrorOption(exit));
    expect(failure).toMatchObject({ _tag: 'StorageFailure', operation: 'open', retryable: false });
  });
});
