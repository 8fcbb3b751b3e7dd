import { createCollabClient, type DocumentSession } from '@collab/client';
import { type ServerProcess, startServer } from '@collab/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomEdit, seededRandom, sleep, waitFor } from '../support/editing.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';

describe.each(storageKinds)('crash safety on %s', (kind) => {
  let storage: TestStorage;

  beforeAll(async () => {
    storage = await startStorage(kind);
  });
  afterAll(async () => {
    await storage?.stop();
  });

  it('[S2] SIGKILL mid-editing loses no acknowledged op; clients reconnect and finish with nothing lost or duplicated', async () => {
    const env = { ...storage.env('crash'), SNAPSHOT_EVERY_OPS: '25' };
    let server: ServerProcess = await startServer({ env });
    const port = server.port;
    const docId = 'crash-doc';
    const clients = Array.from({ length: 4 }, () =>
      createCollabClient({ url: server.wsUrl, WebSocket, retryDelayMs: () => 100 }),
    );
    const sessions: DocumentSession[] = [];
    for (const client of clients) sessions.push(await client.openDocument(docId));
    // Every op the change stream delivered (the acknowledgement [C2]), right up to the kill: the server
    // must still have each one, at the same version, after the crash.
    const acknowledged = new Map<number, string>();
    const observer = clients[0]!.api.documents.changes.subscribe(
      { id: docId, sinceVersion: 0 },
      {
        onData: ({ data }) => {
          for (const op of data.ops) acknowledged.set(op.version, `${op.clientId}/${op.seq}`);
        },
      },
    );
    const random = seededRandom(99);
    try {
      const edit = async (rounds: number) => {
        for (let round = 0; round < rounds; round++) {
          for (const [i, session] of sessions.entries()) {
            if (random() < 0.8) session.apply(randomEdit(session, random, `[${i}]`));
          }
          await sleep(5);
        }
      };
      // Kill in the middle of steady editing, once a good number of ops have been acknowledged.
      while (acknowledged.size < 30) await edit(5);
      await edit(5);
      expect(await server.stop('SIGKILL')).toBeNull();
      // Editing goes on while the server is down: kept locally, sent after the restart [C4].
      await edit(10);
      expect(sessions.some((s) => s.status.pendingEdits > 0)).toBe(true);

      server = await startServer({ env, port });
      await edit(20);
      await waitFor(
        () => sessions.every((s) => s.status.pendingEdits === 0 && s.status.connection === 'online'),
        'all edits acknowledged after the restart',
        30_000,
      );
      const stored = await clients[0]!.api.documents.get.query({ id: docId });
      await waitFor(() => sessions.every((s) => s.version === stored.version), 'clients at the head');
      for (const session of sessions) expect(session.contents.ops).toEqual(stored.delta.ops);

      const history = [];
      let from = 0;
      for (;;) {
        const page = await clients[0]!.api.documents.history.query({ id: docId, fromVersion: from });
        history.push(...page.ops);
        if (page.nextFromVersion === null) break;
        from = page.nextFromVersion;
      }
      expect(history.map((op) => op.version)).toEqual(
        Array.from({ length: stored.version }, (_, i) => i + 1),
      );
      for (const [version, id] of acknowledged) {
        const op = history[version - 1];
        expect(`${op?.clientId}/${op?.seq}`).toBe(id);
      }
      const ids = history.map((op) => `${op.clientId}/${op.seq}`);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      observer.unsubscribe();
      for (const client of clients) client.close();
      await server.stop();
    }
  });
});
