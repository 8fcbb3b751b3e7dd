import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientSession,
  type CollabClient,
  createCollabClient,
  Delta,
  type ResetNotice,
} from '@collab/client';
import { type FaultyServer, startFaultyServer } from '@collab/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deltaText, sleep, waitFor } from '../support/editing.js';
import { expectCleanHistory } from '../support/history.js';
import { LegacyClient } from '../support/legacyClient.js';
import { failureOf, wsApi } from '../support/trpc.js';

let dir: string;
let server: FaultyServer;
const clients: CollabClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'collab-faults-'));
  // A small document limit gives an op the server refuses for itself while the client accepts it.
  server = await startFaultyServer(join(dir, 'collab.sqlite'), { MAX_DOCUMENT_BYTES: '4096' });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A client session that records every reset it goes through. */
async function open(docId: string): Promise<{ session: ClientSession; resets: ResetNotice[] }> {
  const client = createCollabClient({ url: server.wsUrl, WebSocket, retryDelayMs: () => 50 });
  clients.push(client);
  const session = await client.openDocument(docId);
  const resets: ResetNotice[] = [];
  session.on('reset', (_contents, notice) => resets.push(notice));
  return { session, resets };
}

const saved = (session: ClientSession) => session.status.pendingEdits === 0;

describe('[C8] transient storage failures', () => {
  it('[C8] a busy store answers Unavailable (503) and changes nothing', async () => {
    const { api, close } = wsApi(server.wsUrl);
    try {
      await api.documents.getOrCreate.mutate({ id: 'busy-answer' });
      server.faults.failNext('appendOp', 1, 'busy');
      const error = await failureOf(
        api.documents.submit.mutate({
          id: 'busy-answer',
          clientId: 'anon.probe',
          seq: 0,
          baseVersion: 0,
          delta: { ops: [{ insert: 'x' }] },
        }),
      );
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', tag: 'Unavailable' });
      expect(error.message).not.toMatch(/locked|SQLITE/);
      expect(await api.documents.get.query({ id: 'busy-answer' })).toMatchObject({ version: 0 });
    } finally {
      close();
    }
  });

  it('[C8] clients resend through busy and throttled storage: no edit lost, no reset', async () => {
    const docId = 'busy-typing';
    const alice = await open(docId);
    const bob = await open(docId);
    const injectedBefore = server.faults.injected;
    const typed = { alice: '', bob: '' };
    for (let i = 0; i < 40; i++) {
      if (i === 5) server.faults.failNext('appendOp', 6, 'busy');
      if (i === 20) server.faults.failNext('appendOp', 6, 'throttled');
      const a = String.fromCharCode(97 + (i % 26));
      const b = String.fromCharCode(65 + (i % 26));
      alice.session.apply(new Delta().retain(alice.session.contents.length() - 1).insert(a));
      typed.alice += a;
      bob.session.apply(new Delta().insert(b));
      typed.bob = b + typed.bob;
      await sleep(5);
    }
    await waitFor(() => saved(alice.session) && saved(bob.session), 'every edit acknowledged', 60_000);
    expect(server.faults.injected - injectedBefore).toBe(12);
    const { api, close } = wsApi(server.wsUrl);
    try {
      const stored = await api.documents.get.query({ id: docId });
      const text = deltaText(stored.delta);
      // Every character once, each person's in the order typed (Alice's lower case, Bob's upper case).
      expect(text.replace(/[^a-z]/g, '')).toBe(typed.alice);
      expect(text.replace(/[^A-Z]/g, '')).toBe(typed.bob);
      expect(text.length).toBe(typed.alice.length + typed.bob.length + 1);
      await waitFor(
        () => alice.session.version === stored.version && bob.session.version === stored.version,
        'both at the head',
      );
      expect(alice.session.contents).toEqual(new Delta(stored.delta.ops));
      expect(bob.session.contents).toEqual(new Delta(stored.delta.ops));
      await expectCleanHistory(api, docId, stored.version);
    } finally {
      close();
    }
    expect(alice.resets).toEqual([]);
    expect(bob.resets).toEqual([]);
  });

  it('[C8] a busy store while catching up does not lose the follower', async () => {
    const docId = 'busy-reads';
    const writer = await open(docId);
    const reader = await open(docId);
    server.faults.failNext('readOps', 3, 'busy');
    for (const word of ['one ', 'two ', 'three ']) writer.session.apply(new Delta().insert(word));
    await waitFor(() => saved(writer.session), 'writer saved', 30_000);
    await waitFor(() => reader.session.version === writer.session.version, 'reader caught up', 30_000);
    expect(reader.session.contents).toEqual(writer.session.contents);
    expect(reader.resets).toEqual([]);
  });

  it('[C8] an op the server refuses resets the client, keeps the edits behind it, and says what was dropped', async () => {
    const docId = 'refused-op';
    const alice = await open(docId);
    alice.session.apply(new Delta().insert('kept '));
    await waitFor(() => saved(alice.session), 'first edit saved');
    // Too large for the document limit: refused as LimitExceeded. The edit after it is buffered behind it.
    const tooLarge = 'x'.repeat(5000);
    alice.session.apply(new Delta().retain(5).insert(tooLarge));
    alice.session.apply(new Delta().insert('after '));
    await waitFor(() => alice.resets.length === 1, 'a reset');
    const [notice] = alice.resets as [ResetNotice];
    expect(notice.reason.tag).toBe('LimitExceeded');
    expect(deltaText(notice.dropped ?? new Delta())).toBe(tooLarge);
    expect(notice.keptLaterEdits).toBe(true);
    await waitFor(() => saved(alice.session), 'the kept edit saved');
    const { api, close } = wsApi(server.wsUrl);
    try {
      const stored = await api.documents.get.query({ id: docId });
      expect(deltaText(stored.delta)).toBe('after kept \n');
      expect(alice.session.contents).toEqual(new Delta(stored.delta.ops));
    } finally {
      close();
    }
  });

  it('[C8] a legacy tab keeps typing through a busy store without being reloaded', async () => {
    const docId = 'legacy-busy';
    const tab = await LegacyClient.open(server.port, docId);
    try {
      const documentsBefore = tab.framesOf('db-document').length;
      let typed = '';
      for (let i = 0; i < 20; i++) {
        if (i === 3) server.faults.failNext('appendOp', 5, 'busy');
        const char = String.fromCharCode(97 + i);
        tab.edit(new Delta().retain(typed.length).insert(char));
        typed += char;
        await sleep(10);
      }
      const { api, close } = wsApi(server.wsUrl);
      try {
        const deadline = Date.now() + 30_000;
        let stored = '';
        while (stored !== `${typed}\n` && Date.now() < deadline) {
          stored = deltaText((await api.documents.get.query({ id: docId })).delta);
          await sleep(50);
        }
        expect(stored).toBe(`${typed}\n`);
      } finally {
        close();
      }
      expect(tab.framesOf('db-document').length).toBe(documentsBefore);
      expect(tab.errors()).toEqual([]);
      expect(tab.text()).toBe(`${typed}\n`);
    } finally {
      await tab.close();
    }
  });
});
