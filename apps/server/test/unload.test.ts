import { join } from 'node:path';
import { Delta } from '@collab/ot';
import { Effect, Layer, ManagedRuntime } from 'effect';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Broadcast } from '../src/broadcast/Broadcast.js';
import { Config, parseConfig } from '../src/config.js';
import { Images } from '../src/images/Images.js';
import { DocumentSessions } from '../src/sessions/DocumentSessions.js';
import { DocumentStore } from '../src/storage/DocumentStore.js';
import * as SqliteStore from '../src/storage/sqlite/SqliteStore.js';
import { type TempDir, tempDir } from './support/index.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await tempDir('collab-unload-');
});
afterAll(async () => {
  await dir?.remove();
});

/** The real session layer on a real SQLite file, wired as `makeApp` wires it, with a short idle time. */
function makeRuntime(file: string, env: Record<string, string> = {}) {
  const config = parseConfig({
    SQLITE_PATH: file,
    IDLE_UNLOAD_MS: '50',
    // Snapshots only when a document unloads, so an unload is visible in the stored snapshot.
    SNAPSHOT_EVERY_OPS: '100000',
    SNAPSHOT_INTERVAL_MS: '3600000',
    ...env,
  });
  if (config.storage.kind !== 'sqlite') throw new Error('expected SQLite storage');
  const layer = DocumentSessions.layer.pipe(
    Layer.provideMerge(Images.layer),
    Layer.provideMerge(Layer.mergeAll(SqliteStore.layer({ path: config.storage.path }), Broadcast.single)),
    Layer.provideMerge(Layer.succeed(Config, config)),
  );
  const runtime = ManagedRuntime.make(layer);
  const services = runtime.runPromise(
    Effect.gen(function* () {
      return { sessions: yield* DocumentSessions, store: yield* DocumentStore };
    }),
  );
  return { runtime, services };
}

type Runtime = ReturnType<typeof makeRuntime>;
const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const { runtime } of runtimes.splice(0)) await runtime.dispose();
});

async function open(name: string, env?: Record<string, string>) {
  const made = makeRuntime(join(dir.path, `${name}.sqlite`), env);
  runtimes.push(made);
  const services = await made.services;
  const run = <A, E>(effect: Effect.Effect<A, E>) => made.runtime.runPromise(effect);
  return { ...services, run };
}

/** Resolves when `condition` holds, checking every 10 ms. */
async function until(condition: () => boolean, message: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const insert = (text: string, at = 0) =>
  at > 0 ? new Delta().retain(at).insert(text) : new Delta().insert(text);

describe('[S3] documents nobody has open are unloaded', () => {
  it('[S3] a document used by a request is unloaded after IDLE_UNLOAD_MS, with its snapshot written [S2]', async () => {
    const { sessions, store, run } = await open('idle');
    await run(sessions.create('idle-doc', undefined));
    expect(sessions.loadedCount()).toBe(0);
    for (let seq = 1; seq <= 3; seq++) {
      await run(
        sessions.submit('idle-doc', { clientId: 'c', seq, baseVersion: seq - 1, delta: insert(String(seq)) }),
      );
    }
    expect(sessions.loadedCount()).toBe(1);
    expect((await run(store.loadSnapshot('idle-doc')))?.version).toBe(0);

    await until(() => sessions.loadedCount() === 0, 'the idle document to unload');
    const snapshot = await run(store.loadSnapshot('idle-doc'));
    expect(snapshot?.version).toBe(3);
    expect(snapshot?.ops).toEqual([{ insert: '321\n' }]);

    // Loading it again continues from where it was.
    const doc = await run(sessions.get('idle-doc'));
    expect(doc.version).toBe(3);
    expect(doc.delta.ops).toEqual([{ insert: '321\n' }]);
    const version = await run(
      sessions.submit('idle-doc', { clientId: 'c', seq: 4, baseVersion: 3, delta: insert('4') }),
    );
    expect(version).toBe(4);
    await until(() => sessions.loadedCount() === 0, 'the document to unload again');
  });

  it('[S3] a leased document (an open subscription) stays loaded however long; it unloads once released', async () => {
    const { sessions, run } = await open('leased');
    await run(sessions.create('leased-doc', undefined));
    const lease = await run(sessions.lease('leased-doc'));
    // Other documents come and go meanwhile: their unloading proves idle time has passed.
    await run(sessions.create('passer-by', undefined));
    await run(sessions.get('passer-by'));
    expect(sessions.loadedCount()).toBe(2);
    await until(() => sessions.loadedCount() === 1, 'the unleased document to unload');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sessions.loadedCount()).toBe(1);
    // Still the same live session: a commit through it is seen by the lease holder.
    await run(sessions.submit('leased-doc', { clientId: 'c', seq: 1, baseVersion: 0, delta: insert('x') }));
    expect(lease.session.version).toBe(1);

    lease.release();
    lease.release(); // releasing twice is harmless
    await until(() => sessions.loadedCount() === 0, 'the released document to unload');
  });

  it('[S3] [L5] memory follows open documents: 200 documents opened and closed all unload; those still open stay', async () => {
    const { sessions, store, run } = await open('many');
    const ids = Array.from({ length: 200 }, (_, i) => `many-${i}`);
    await run(Effect.forEach(ids, (id) => sessions.getOrCreate(id), { concurrency: 20, discard: true }));
    const leases = await run(Effect.forEach(ids.slice(0, 10), (id) => sessions.lease(id)));
    await run(
      Effect.forEach(
        ids,
        (id) => sessions.submit(id, { clientId: 'c', seq: 1, baseVersion: 0, delta: insert(id) }),
        { concurrency: 20, discard: true },
      ),
    );
    expect(sessions.loadedCount()).toBeGreaterThan(10);

    await until(() => sessions.loadedCount() === 10, 'every document not held open to unload');
    for (const lease of leases) lease.release();
    await until(() => sessions.loadedCount() === 0, 'the held documents to unload once released');

    // Every one was snapshotted on unload and reloads intact.
    const snapshots = await run(Effect.forEach(ids, (id) => store.loadSnapshot(id)));
    expect(snapshots.map((s) => s?.version)).toEqual(ids.map(() => 1));
    const reloaded = await run(sessions.get('many-123'));
    expect(reloaded.delta.ops).toEqual([{ insert: 'many-123\n' }]);
    await until(() => sessions.loadedCount() === 0, 'the reloaded document to unload');
  });

  it('[S3] a document unloaded mid-way is reloaded by the next request without losing or repeating an op', async () => {
    const { sessions, run } = await open('churn');
    await run(sessions.create('churn-doc', undefined));
    let version = 0;
    for (let round = 0; round < 5; round++) {
      version = await run(
        sessions.submit('churn-doc', { clientId: 'c', seq: round, baseVersion: version, delta: insert('.') }),
      );
      await until(() => sessions.loadedCount() === 0, `unload ${round}`);
    }
    // A resend of an op committed before several unloads is still recognised [C3].
    expect(
      await run(sessions.submit('churn-doc', { clientId: 'c', seq: 0, baseVersion: 0, delta: insert('.') })),
    ).toBe(1);
    const doc = await run(sessions.get('churn-doc'));
    expect(doc.version).toBe(5);
    expect(doc.delta.ops).toEqual([{ insert: '.....\n' }]);
    await until(() => sessions.loadedCount() === 0, 'the document to unload');
  });

  it('[S3] disposing the layer stops its idle timers: no unload runs later against the closed store', async () => {
    const made = makeRuntime(join(dir.path, 'disposed.sqlite'), { IDLE_UNLOAD_MS: '100' });
    const { sessions } = await made.services;
    await made.runtime.runPromise(sessions.create('disposed-doc', undefined));
    await made.runtime.runPromise(
      sessions.submit('disposed-doc', { clientId: 'c', seq: 1, baseVersion: 0, delta: insert('x') }),
    );
    expect(sessions.loadedCount()).toBe(1);
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await made.runtime.dispose();
      // Several idle periods: an armed timer would have fired by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      stderr.mockRestore();
    }
    expect(
      written.filter((line) => line.includes('"level":"warn"') || line.includes('"level":"error"')),
    ).toEqual([]);
  });
});
