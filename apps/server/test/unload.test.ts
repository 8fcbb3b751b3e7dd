import { join } from 'node:path';
import { Delta } from '@collab/ot';
import { Effect, Layer, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Broadcast } from '../src/broadcast/Broadcast.js';
import { Config, parseConfig } from '../src/config.js';
import { Images } from '../src/images/Images.js';
import { DocumentSessions } from '../src/sessions/DocumentSessions.js';
import { DocumentStore } from '../src/storage/DocumentStore.js';
import * as SqliteStore from '../src/storage/sqlite/SqliteStore.js';
import { strictFake, type TempDir, tempDir } from './support/index.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await tempDir('collab-unload-');
});
afterAll(async () => {
  await dir?.remove();
});

const idleMs = 60_000;

/**
 * The real session layer on a real SQLite file, wired as `makeApp` wires it, its time on a test clock:
 * `advance` moves it, running whatever falls due (idle unloads) before it resolves.
 */
function makeRuntime(file: string, env: Record<string, string> = {}, broadcast = Broadcast.single) {
  const config = parseConfig({
    SQLITE_PATH: file,
    IDLE_UNLOAD_MS: String(idleMs),
    // Snapshots only when a document unloads, so an unload is visible in the stored snapshot.
    SNAPSHOT_EVERY_OPS: '100000',
    SNAPSHOT_INTERVAL_MS: '3600000',
    ...env,
  });
  if (config.storage.kind !== 'sqlite') throw new Error('expected SQLite storage');
  const layer = DocumentSessions.layer.pipe(
    Layer.provideMerge(Images.layer),
    Layer.provideMerge(Layer.mergeAll(SqliteStore.layer({ path: config.storage.path }), broadcast)),
    Layer.provideMerge(Layer.succeed(Config, config)),
    Layer.provideMerge(TestClock.layer()),
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
  const advance = (ms: number) => run(TestClock.adjust(ms));
  return { ...services, run, advance };
}

const insert = (text: string, at = 0) =>
  at > 0 ? new Delta().retain(at).insert(text) : new Delta().insert(text);

describe('[S3] documents nobody has open are unloaded', () => {
  it('[S3] a document used by a request is unloaded after IDLE_UNLOAD_MS, with its snapshot written [S2]', async () => {
    const { sessions, store, run, advance } = await open('idle');
    await run(sessions.create('idle-doc', undefined));
    expect(sessions.loadedCount()).toBe(0);
    for (let seq = 1; seq <= 3; seq++) {
      await run(
        sessions.submit('idle-doc', { clientId: 'c', seq, baseVersion: seq - 1, delta: insert(String(seq)) }),
      );
    }
    expect(sessions.loadedCount()).toBe(1);
    expect((await run(store.loadSnapshot('idle-doc')))?.version).toBe(0);

    await advance(idleMs - 1);
    expect(sessions.loadedCount()).toBe(1);
    await advance(1);
    expect(sessions.loadedCount()).toBe(0);
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
    await advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);
  });

  it('[S3] a leased document (an open subscription) stays loaded however long; it unloads once released', async () => {
    const { sessions, run, advance } = await open('leased');
    await run(sessions.create('leased-doc', undefined));
    const lease = await run(sessions.lease('leased-doc'));
    // Another document comes and goes meanwhile: its unloading proves idle time has passed.
    await run(sessions.create('passer-by', undefined));
    await run(sessions.get('passer-by'));
    expect(sessions.loadedCount()).toBe(2);
    await advance(idleMs);
    expect(sessions.loadedCount()).toBe(1);
    await advance(10 * idleMs);
    expect(sessions.loadedCount()).toBe(1);
    // Still the same live session: a commit through it is seen by the lease holder.
    await run(sessions.submit('leased-doc', { clientId: 'c', seq: 1, baseVersion: 0, delta: insert('x') }));
    expect(lease.session.version).toBe(1);

    lease.release();
    lease.release(); // releasing twice is harmless
    await advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);
  });

  it('[S3] [L5] memory follows open documents: 200 documents opened and closed all unload; those still open stay', async () => {
    const { sessions, store, run, advance } = await open('many');
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

    await advance(idleMs);
    expect(sessions.loadedCount()).toBe(10);
    for (const lease of leases) lease.release();
    await advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);

    // Every one was snapshotted on unload and reloads intact.
    const snapshots = await run(Effect.forEach(ids, (id) => store.loadSnapshot(id)));
    expect(snapshots.map((s) => s?.version)).toEqual(ids.map(() => 1));
    const reloaded = await run(sessions.get('many-123'));
    expect(reloaded.delta.ops).toEqual([{ insert: 'many-123\n' }]);
    await advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);
  });

  it('[S3] a document unloaded mid-way is reloaded by the next request without losing or repeating an op', async () => {
    const { sessions, run, advance } = await open('churn');
    await run(sessions.create('churn-doc', undefined));
    let version = 0;
    for (let round = 0; round < 5; round++) {
      version = await run(
        sessions.submit('churn-doc', { clientId: 'c', seq: round, baseVersion: version, delta: insert('.') }),
      );
      await advance(idleMs);
      expect(sessions.loadedCount(), `unload ${round}`).toBe(0);
    }
    // A resend of an op committed before several unloads is still recognised [C3].
    expect(
      await run(sessions.submit('churn-doc', { clientId: 'c', seq: 0, baseVersion: 0, delta: insert('.') })),
    ).toBe(1);
    const doc = await run(sessions.get('churn-doc'));
    expect(doc.version).toBe(5);
    expect(doc.delta.ops).toEqual([{ insert: '.....\n' }]);
    await advance(idleMs);
    expect(sessions.loadedCount()).toBe(0);
  });

  it('[S3] a document used again before IDLE_UNLOAD_MS has passed starts its idle time over', async () => {
    const { sessions, run, advance } = await open('again');
    await run(sessions.create('again-doc', undefined));
    await run(sessions.get('again-doc'));
    await advance(idleMs - 1);
    await run(sessions.get('again-doc'));
    await advance(idleMs - 1);
    expect(sessions.loadedCount()).toBe(1);
    await advance(1);
    expect(sessions.loadedCount()).toBe(0);
  });

  it("[S5] shutting down ends the sessions' background work: nothing runs detached from the app", async () => {
    // Publishing to other instances never completes here: only interruption ends it.
    const interrupted: number[] = [];
    const hangingBroadcast = Layer.succeed(
      Broadcast,
      strictFake<Broadcast['Service']>('Broadcast', {
        subscribe: () => Effect.succeed(() => {}),
        publishOp: (_docId, op) =>
          Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => void interrupted.push(op.version)))),
      }),
    );
    const made = makeRuntime(join(dir.path, 'shutdown.sqlite'), {}, hangingBroadcast);
    const { sessions } = await made.services;
    await made.runtime.runPromise(sessions.create('shutdown-doc', undefined));
    for (let seq = 1; seq <= 2; seq++) {
      await made.runtime.runPromise(
        sessions.submit('shutdown-doc', { clientId: 'c', seq, baseVersion: seq - 1, delta: insert('x') }),
      );
    }
    expect(interrupted).toEqual([]);
    await made.runtime.dispose();
    expect(interrupted.sort()).toEqual([1, 2]);
  });
});
