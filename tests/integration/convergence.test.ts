import { type CollabClient, createCollabClient, Delta, type DocumentSession } from '@collab/client';
import { type ServerProcess, startServer } from '@collab/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomEdit, seededRandom, sleep, waitFor } from '../support/editing.js';
import { type CuttableLink, startLink } from '../support/proxy.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';

interface Editor {
  readonly client: CollabClient;
  readonly session: DocumentSession;
  readonly link: CuttableLink;
  readonly tag: string;
}

let server: ServerProcess;

async function openEditors(docId: string, count: number): Promise<Editor[]> {
  const editors: Editor[] = [];
  for (let i = 0; i < count; i++) {
    const link = await startLink(server.port);
    const client = createCollabClient({
      url: `ws://127.0.0.1:${link.port}/trpc`,
      WebSocket,
      retryDelayMs: () => 50,
    });
    const session = await client.openDocument(docId);
    editors.push({ client, session, link, tag: `<${String.fromCharCode(65 + i)}>` });
  }
  return editors;
}

async function closeEditors(editors: Editor[]) {
  for (const editor of editors) {
    editor.client.close();
    await editor.link.close();
  }
}

/** Every editor has nothing pending and sits at the server's head version with the server's contents. */
async function expectConverged(docId: string, editors: Editor[], api: CollabClient['api']) {
  let head = -1;
  await waitFor(
    () =>
      editors.every((e) => e.session.status.pendingEdits === 0 && e.session.status.connection === 'online'),
    'every edit acknowledged',
    30_000,
  );
  const stored = await api.documents.get.query({ id: docId });
  head = stored.version;
  await waitFor(() => editors.every((e) => e.session.version === head), `every editor at version ${head}`);
  for (const editor of editors) {
    expect(editor.session.contents.ops).toEqual(stored.delta.ops);
  }
  return stored;
}

async function committedOps(api: CollabClient['api'], docId: string) {
  const ops = [];
  let from = 0;
  for (;;) {
    const page = await api.documents.history.query({ id: docId, fromVersion: from });
    ops.push(...page.ops);
    if (page.nextFromVersion === null) break;
    from = page.nextFromVersion;
  }
  return ops;
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
          if (random() < 0.7) editor.session.apply(randomEdit(editor.session, random, editor.tag));
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
      const stored = await expectConverged(docId, editors, editors[0]!.client.api);
      expect(stored.version).toBeGreaterThan(50);

      // [D2] versions are consecutive and [C3] no op was committed twice.
      const ops = await committedOps(editors[0]!.client.api, docId);
      expect(ops.map((op) => op.version)).toEqual(Array.from({ length: stored.version }, (_, i) => i + 1));
      const ids = ops.map((op) => `${op.clientId}/${op.seq}`);
      expect(new Set(ids).size).toBe(ids.length);
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
      const stored = await expectConverged(docId, [alice, bob], bob.client.api);
      const text = stored.delta.ops
        .map((op) => ('insert' in op && typeof op.insert === 'string' ? op.insert : ''))
        .join('');
      expect(text).toContain('three two one ');
      expect(text).toContain('bob ');
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
        clientId: 'client-r',
        seq: 7,
        baseVersion: 0,
        delta: { ops: [{ insert: 'x' }] },
      };
      const first = await api.documents.submit.mutate(op);
      await api.documents.submit.mutate({
        ...op,
        clientId: 'other',
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
