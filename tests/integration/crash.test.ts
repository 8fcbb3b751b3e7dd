import { type ClientSession, createCollabClient } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomEdit, seededRandom, sleep } from '../support/editing.js';
import {
  expectAcknowledgedKept,
  expectCleanHistory,
  expectConverged,
  recordAcknowledged,
} from '../support/history.js';
import { type ServerProcess, startServer } from '../support/server.js';
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
    const sessions: ClientSession[] = [];
    for (const client of clients) sessions.push(await client.openDocument(docId));
    // Every op the change stream delivered (the acknowledgement [C2]), right up to the kill: the server
    // must still have each one, at the same version, after the crash.
    const acknowledged = recordAcknowledged(clients[0]!.api, docId);
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
      while (acknowledged.ops.size < 30) await edit(5);
      await edit(5);
      expect(await server.stop('SIGKILL')).toBeNull();
      // Editing goes on while the server is down: kept locally, sent after the restart [C4].
      await edit(10);
      expect(sessions.some((s) => s.status.pendingEdits > 0)).toBe(true);

      server = await startServer({ env, port });
      await edit(20);
      // All edits acknowledged after the restart, every client at the head with the server's contents.
      const stored = await expectConverged(
        docId,
        sessions.map((session) => ({ session })),
        [clients[0]!],
      );
      const history = await expectCleanHistory(clients[0]!.api, docId, stored.version);
      expectAcknowledgedKept(history, acknowledged);
    } finally {
      acknowledged.unsubscribe();
      for (const client of clients) client.close();
      await server.stop();
    }
  });
});
