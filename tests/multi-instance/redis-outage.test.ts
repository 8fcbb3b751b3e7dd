/**
 * Redis is only a fast path between instances [S4]: when it restarts, drops messages or carries junk,
 * everyone still converges, because order and completeness come from storage.
 */

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { randomEdit, seededRandom, sleep, waitFor } from '../support/editing.js';
import { closeEditors, directClient, type Editor, openEditor } from '../support/editors.js';
import { expectCleanHistory, expectConverged } from '../support/history.js';
import { storageKinds } from '../support/storage.js';
import { useCluster } from './support.js';

const countOf = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;
const subscriberConnected = /"msg":"redis connected","role":"subscriber"/g;

describe.each(storageKinds)('Redis outages on %s', (kind) => {
  const suite = useCluster(kind, 2);

  const editRounds = async (editors: readonly Editor[], random: () => number, rounds: number) => {
    for (let round = 0; round < rounds; round++) {
      for (const editor of editors) {
        if (random() < 0.6) editor.session.apply(randomEdit(editor.session, random, `<${editor.name}>`));
      }
      await sleep(random() * 30);
    }
  };

  it('[S4] Redis stopped and restarted mid-editing: everyone converges afterwards', async () => {
    const { cluster, redis: server } = suite;
    const instances = cluster.instances;
    const docId = `redis-restart-${kind}`;
    const editors: Editor[] = [];
    const observers = instances.map(directClient);
    const random = seededRandom(31337);
    try {
      for (let i = 0; i < 4; i++) editors.push(await openEditor(`E${i}`, instances[i % 2]!, docId));
      await waitFor(
        () => instances.every((instance) => countOf(instance.output(), subscriberConnected) >= 1),
        'every instance connected to Redis',
      );
      await editRounds(editors, random, 30);

      await server.stop();
      await waitFor(
        () => instances.every((instance) => instance.output().includes('"msg":"redis connection lost')),
        'every instance saw Redis go away',
      );
      // Editing goes on while Redis is away: commits still land in storage.
      await editRounds(editors, random, 60);
      await server.restart();
      // Each instance notices, reconnects and resubscribes on its own.
      await waitFor(
        () => instances.every((instance) => countOf(instance.output(), subscriberConnected) >= 2),
        'every instance reconnected to the new Redis',
      );
      await editRounds(editors, random, 30);

      const stored = await expectConverged(docId, editors, observers);
      await expectCleanHistory(observers[0]!.api, docId, stored.version);
      expect(instances.every((instance) => instance.child.exitCode === null)).toBe(true);
    } finally {
      await closeEditors(editors);
      for (const observer of observers) observer.close();
    }
  });

  it('[S4] an instance that hears none of the others (another channel prefix) still converges through storage', async () => {
    const { cluster } = suite;
    const [a] = cluster.instances;
    // Same storage and Redis, different channels: every message between it and the others is lost.
    const deaf = await cluster.add({ env: { REDIS_PREFIX: 'elsewhere' } });
    const docId = `redis-deaf-${kind}`;
    const editors: Editor[] = [];
    const observers = [directClient(a!), directClient(deaf)];
    const random = seededRandom(2718);
    try {
      editors.push(await openEditor('A', a!, docId), await openEditor('D', deaf, docId));
      await editRounds(editors, random, 40);
      const stored = await expectConverged(docId, editors, observers);
      const ops = await expectCleanHistory(observers[0]!.api, docId, stored.version);
      // Both sides committed, so each instance learned the other's ops from storage alone.
      for (const editor of editors)
        expect(ops.some((op) => op.clientId === editor.client.clientId)).toBe(true);
    } finally {
      await closeEditors(editors);
      for (const observer of observers) observer.close();
      await deaf.stop('SIGKILL');
    }
  });

  it('[S4] [C3] an instance that has not heard of an op yet commits its resubmission once and accepts versions seen elsewhere', async () => {
    const { cluster } = suite;
    const [a] = cluster.instances;
    const deaf = await cluster.add({ env: { REDIS_PREFIX: 'nowhere' } });
    const docId = `redis-lagging-${kind}`;
    const onA = directClient(a!);
    const onDeaf = directClient(deaf);
    let stream: { unsubscribe(): void } | undefined;
    try {
      await onA.api.documents.create.mutate({ id: docId });
      // The lagging instance has the document loaded at version 0 and hears nothing from A.
      expect((await onDeaf.api.documents.get.query({ id: docId })).version).toBe(0);
      const op = {
        id: docId,
        clientId: 'anon.mover',
        seq: 1,
        baseVersion: 0,
        delta: { ops: [{ insert: 'once ' }] },
      };
      const first = await onA.api.documents.submit.mutate(op);
      // The client's instance died before the answer reached it; it resends to the lagging instance.
      expect(await onDeaf.api.documents.submit.mutate(op)).toEqual(first);
      // It saw version 1 on A; the lagging instance reads it instead of refusing the base as ahead.
      const second = await onDeaf.api.documents.submit.mutate({
        id: docId,
        clientId: 'anon.mover',
        seq: 2,
        baseVersion: first.version,
        delta: { ops: [{ retain: 5 }, { insert: 'twice' }] },
      });
      expect(second.version).toBe(first.version + 1);
      await onA.api.documents.submit.mutate({
        id: docId,
        clientId: 'anon.other',
        seq: 1,
        baseVersion: second.version,
        delta: { ops: [{ insert: '> ' }] },
      });
      // A change stream resuming on the lagging instance from a version it has not heard of yet starts fine.
      const received: number[] = [];
      let failed: unknown;
      stream = onDeaf.api.documents.changes.subscribe(
        { id: docId, sinceVersion: second.version + 1 },
        {
          onData: ({ data }) => received.push(...data.ops.map((o) => o.version)),
          onError: (e) => (failed = e),
        },
      );
      await onA.api.documents.submit.mutate({
        id: docId,
        clientId: 'anon.other',
        seq: 2,
        baseVersion: second.version + 1,
        delta: { ops: [{ insert: '# ' }] },
      });
      await waitFor(
        () => received.includes(second.version + 2) || failed !== undefined,
        'the next op arrives',
      );
      expect(failed).toBeUndefined();
      expect(received).toEqual([second.version + 2]);
      const doc = await onA.api.documents.get.query({ id: docId });
      expect(doc.delta.ops).toEqual([{ insert: '# > once twice\n' }]);
      await expectCleanHistory(onA.api, docId, doc.version);
    } finally {
      stream?.unsubscribe();
      onA.close();
      onDeaf.close();
      await deaf.stop('SIGKILL');
    }
  });

  it('[S4] malformed and misleading Redis messages are ignored', async () => {
    const { cluster, redis } = suite;
    const [a, b] = cluster.instances;
    const docId = `redis-junk-${kind}`;
    const editors: Editor[] = [];
    const observers = [directClient(a!), directClient(b!)];
    const random = seededRandom(1618);
    const rogue = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      editors.push(await openEditor('A', a!, docId), await openEditor('B', b!, docId));
      await editRounds(editors, random, 10);
      await expectConverged(docId, editors, observers);
      await rogue.connect();
      const channel = `collab:doc:${docId}`;
      const head = editors[0]!.session.version;
      const junk = [
        'not json',
        '{"v":1}',
        JSON.stringify({ v: 2, src: 'rogue', type: 'op' }),
        JSON.stringify({ v: 1, src: 'rogue', type: 'op', op: { version: -1, delta: { ops: [] } } }),
        JSON.stringify({ v: 1, src: 'rogue', type: 'presence', event: { type: 'update' }, ttlMs: 5 }),
        // An op far ahead: the receiver looks for the gap in storage and finds nothing to apply.
        JSON.stringify({
          v: 1,
          src: 'rogue',
          type: 'op',
          op: { version: head + 50, delta: { ops: [{ insert: 'ghost' }] }, clientId: 'anon.rogue', seq: 1 },
        }),
        // The next version, but it does not apply to the document: read from storage instead.
        JSON.stringify({
          v: 1,
          src: 'rogue',
          type: 'op',
          op: {
            version: head + 1,
            delta: { ops: [{ retain: 1_000_000 }, { insert: 'ghost' }] },
            clientId: 'anon.rogue',
            seq: 2,
          },
        }),
        JSON.stringify({ v: 1, src: 'rogue', type: 'version', version: head + 3 }),
      ];
      for (const message of junk) await rogue.publish(channel, message);
      await waitFor(
        () =>
          [a!, b!].every((instance) =>
            instance.output().includes('"msg":"ignored a malformed redis message"'),
          ),
        'both instances saw the junk',
      );
      await editRounds(editors, random, 10);
      const stored = await expectConverged(docId, editors, observers);
      expect(stored.text).not.toContain('ghost');
      await expectCleanHistory(observers[0]!.api, docId, stored.version);
      expect(cluster.instances.slice(0, 2).every((instance) => instance.child.exitCode === null)).toBe(true);
    } finally {
      rogue.disconnect();
      await closeEditors(editors);
      for (const observer of observers) observer.close();
    }
  });
});
