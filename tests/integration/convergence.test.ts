import { createCollabClient, Delta } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomEdit, seededRandom, sleep, waitFor } from '../support/editing.js';
import { closeEditors, type Editor, openEditor } from '../support/editors.js';
import { expectCleanHistory, expectConverged } from '../support/history.js';
import { type ServerProcess, startServer } from '../support/server.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';

let server: ServerProcess;

/** `count` editors (A, B, …), each through a link of its own. */
async function openEditors(docId: string, count: number): Promise<Editor[]> {
  const editors: Editor[] = [];
  for (let i = 0; i < count; i++) editors.push(await openEditor(String.fromCharCode(65 + i), server, docId));
  return editors;
}

describe.each(storageKinds)('collaboration over real sockets on %s', (kind) => {
  let storage: TestStorage;

  beforeAll(async () => {
    storage = await startStorage(kind);
    server = await startServer({ env: storage.env('collab') });
  });

  afterAll(async () => {
    await server?.stop();
    await storage?.stop();
  });

  it('[C5] 8 clients with random concurrent edits and disconnects converge to what documents.get returns', async () => {
    const docId = 'converge-8';
    const editors = await openEditors(docId, 8);
    const random = seededRandom(20261126);
    try {
      const rounds = 150;
      let cuts = 0;
      for (let round = 0; round < rounds; round++) {
        for (const editor of editors) {
          if (random() < 0.7) editor.session.apply(randomEdit(editor.session, random, `<${editor.name}>`));
        }
        // Random network failures: a link goes down for a few rounds while its editor keeps typing.
        if (random() < 0.15) {
          const editor = editors[Math.floor(random() * editors.length)];
          editor?.link.cut();
          cuts++;
          setTimeout(() => editor?.link.restore(), 100 + random() * 400);
        }
        await sleep(random() * 30);
      }
      for (const editor of editors) editor.link.restore();
      expect(cuts).toBeGreaterThan(5);
      const stored = await expectConverged(docId, editors, [editors[0]!.client]);
      expect(stored.version).toBeGreaterThan(50);

      // [D2] versions are consecutive and [C3] no op was committed twice.
      await expectCleanHistory(editors[0]!.client.api, docId, stored.version);
    } finally {
      await closeEditors(editors);
    }
  });

  it('[C4] edits made while offline are kept and sent on reconnect', async () => {
    const docId = 'offline-edits';
    const [alice, bob] = (await openEditors(docId, 2)) as [Editor, Editor];
    try {
      alice.link.cut();
      await waitFor(() => alice.session.status.connection === 'offline', 'alice offline');
      for (const word of ['one ', 'two ', 'three ']) alice.session.apply(new Delta().insert(word));
      bob.session.apply(new Delta().insert('bob '));
      expect(alice.session.status.pendingEdits).toBe(3);
      await sleep(200);
      alice.link.restore();
      const stored = await expectConverged(docId, [alice, bob], [bob.client]);
      expect(stored.text).toContain('three two one ');
      expect(stored.text).toContain('bob ');
    } finally {
      await closeEditors([alice, bob]);
    }
  });

  it('[C3] a resubmitted op is committed once and answers with its original version', async () => {
    const client = createCollabClient({ url: server.wsUrl, WebSocket });
    try {
      const { api } = client;
      await api.documents.create.mutate({ id: 'resubmit' });
      const op = {
        id: 'resubmit',
        clientId: 'anon.client-r',
        seq: 7,
        baseVersion: 0,
        delta: { ops: [{ insert: 'x' }] },
      };
      const first = await api.documents.submit.mutate(op);
      await api.documents.submit.mutate({
        ...op,
        clientId: 'anon.other',
        seq: 1,
        delta: { ops: [{ insert: 'y' }] },
      });
      // Resent as a reconnecting client would (same base), and as one that already saw later versions.
      expect((await api.documents.submit.mutate(op)).version).toBe(first.version);
      expect((await api.documents.submit.mutate({ ...op, baseVersion: 2 })).version).toBe(first.version);
      const doc = await api.documents.get.query({ id: 'resubmit' });
      expect(doc.version).toBe(2);
      expect(doc.delta.ops).toEqual([{ insert: 'xy\n' }]);
    } finally {
      client.close();
    }
  });
});
