/**
 * Presence crosses instances through Redis and still expires [C6] [S4]: a cursor set on instance A shows on
 * instance B, follows moves and departures, and vanishes from B when A dies without a word.
 */
import { type ClientSession, Delta, type RemotePresence } from '@collab/client';
import { type RedisServer, startRedis } from '@collab/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/editing.js';
import { closeEditors, type Editor, openEditor } from '../support/editors.js';
import { startStorage, type TestStorage } from '../support/storage.js';
import { type Cluster, startCluster } from './support.js';

const alice = { name: 'Alice', color: '#e60000' };

/** The latest presence list a session reported. */
function watchPresence(session: ClientSession): () => readonly RemotePresence[] {
  let others: readonly RemotePresence[] = [];
  session.on('presence', (list) => {
    others = list;
  });
  return () => others;
}

let redis: RedisServer | undefined;
let storage: TestStorage | undefined;
const clusters: Cluster[] = [];

beforeAll(async () => {
  redis = await startRedis();
  storage = await startStorage('sqlite');
});

afterAll(async () => {
  for (const cluster of clusters) await cluster.stop();
  await redis?.stop();
  await storage?.stop();
});

async function cluster(env: Record<string, string> = {}): Promise<Cluster> {
  if (!redis || !storage) throw new Error('not started');
  const started = await startCluster({ count: 2, storage, redis, env });
  clusters.push(started);
  return started;
}

describe('presence across instances', () => {
  it('[C6] [S4] a cursor set on A shows on B (even for a newcomer on B), follows moves and leaves with its user', async () => {
    const [a, b] = (await cluster()).instances;
    const docId = 'presence-cross';
    const editors: Editor[] = [];
    try {
      const onA = await openEditor('alice', a!, docId);
      editors.push(onA);
      // Set once and never refreshed: a newcomer on B can only learn it by asking A.
      await onA.client.api.presence.update.mutate({
        id: docId,
        clientId: onA.client.clientId,
        user: alice,
        range: { index: 0, length: 0 },
        version: onA.session.version,
      });
      const onB = await openEditor('bob', b!, docId);
      editors.push(onB);
      const seenByBob = watchPresence(onB.session);
      const aliceOnB = () => seenByBob().find((p) => p.clientId === onA.client.clientId);
      await waitFor(() => aliceOnB() !== undefined, 'Bob (on B) sees Alice (on A)');
      expect(aliceOnB()?.user).toEqual(alice);

      // Alice types, then selects what she typed: B sees the new range.
      onA.session.apply(new Delta().insert('hello world'));
      await waitFor(
        () => onA.session.status.pendingEdits === 0 && onB.session.version === onA.session.version,
        'both at the same version',
      );
      onA.session.setPresence(alice, { index: 6, length: 5 });
      await waitFor(
        () => aliceOnB()?.range?.index === 6 && aliceOnB()?.range?.length === 5,
        'Bob sees Alice select "world"',
      );

      // Alice closes the document on A: she is gone from B at once (no expiry involved).
      onA.session.close();
      await waitFor(() => aliceOnB() === undefined, 'Alice left for Bob too');
    } finally {
      await closeEditors(editors);
    }
  });

  it('[C6] [S4] the presence of a user on A disappears from B when A is SIGKILLed', async () => {
    const ttlMs = 3_000;
    const [a, b] = (await cluster({ PRESENCE_TTL_MS: String(ttlMs) })).instances;
    const docId = 'presence-expiry';
    const editors: Editor[] = [];
    let refresher: ReturnType<typeof setInterval> | undefined;
    try {
      const onA = await openEditor('alice', a!, docId);
      const onB = await openEditor('bob', b!, docId);
      editors.push(onA, onB);
      const seenByBob = watchPresence(onB.session);
      const aliceOnB = () => seenByBob().find((p) => p.clientId === onA.client.clientId);
      // Alice keeps her cursor alive well within the server's TTL.
      onA.session.setPresence(alice, { index: 0, length: 0 });
      refresher = setInterval(() => onA.session.setPresence(alice, { index: 0, length: 0 }), ttlMs / 10);
      await waitFor(() => aliceOnB() !== undefined, 'Bob sees Alice');
      // Refreshes cross instances too: after more than one TTL she is still there.
      await sleep(ttlMs * 1.5);
      expect(aliceOnB()).toBeDefined();

      expect(await a!.stop('SIGKILL')).toBeNull();
      clearInterval(refresher);
      await waitFor(() => aliceOnB() === undefined, 'Alice expired on B after A died');
    } finally {
      clearInterval(refresher);
      await closeEditors(editors);
    }
  });
});
