import { Delta } from '@collab/ot';
import { Effect, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import { describe, expect, it } from 'vitest';
import { DocumentSession } from '../../src/sessions/DocumentSession.js';
import { quietSettings, request, sessionDeps, sessionSuite } from './support.js';

const suite = sessionSuite();

describe('[S2] [P2] snapshot cadence by document size', () => {
  it('[S2] [P2] a large document waits for one op per KB of its JSON between snapshots, a small one for SNAPSHOT_EVERY_OPS', async () => {
    const store = suite.store;
    const clock = ManagedRuntime.make(TestClock.layer());
    const settings = { ...quietSettings, snapshotEveryOps: 3 };
    const open = async (docId: string, text: string) => {
      const ops = [{ insert: text }];
      await Effect.runPromise(store.createDocument({ docId, version: 0, ops, updatedAt: 0 }));
      return new DocumentSession(
        sessionDeps(store, { settings, fork: (effect) => clock.runFork(effect) }),
        { docId, version: 0, ops, updatedAt: 0 },
        [],
      );
    };
    const small = await open('small', 'hello\n');
    // About 20 KB of JSON: a snapshot after 20 ops, not 3.
    const large = await open('large', `${'a'.repeat(20_479)}\n`);
    const snapshotVersion = async (docId: string) =>
      (await Effect.runPromise(store.loadSnapshot(docId)))?.version;
    for (let seq = 1; seq <= 19; seq++) {
      for (const session of [small, large]) {
        await Effect.runPromise(session.submit(request('w', seq, seq - 1, new Delta().insert('x'))));
      }
      await clock.runPromise(TestClock.adjust(0));
      if (seq === 3) expect(await snapshotVersion('small')).toBe(3);
    }
    expect(await snapshotVersion('large')).toBe(0);
    await Effect.runPromise(large.submit(request('w', 20, 19, new Delta().insert('x'))));
    await clock.runPromise(TestClock.adjust(0));
    expect(await snapshotVersion('large')).toBe(20);
    small.dispose();
    large.dispose();
    await clock.dispose();
  });
});
