import { randomUUID } from 'node:crypto';
import { type ClientSession, type CollabClient, createCollabClient, Delta } from '@collab/client';
import { applyChange } from '@collab/ot';
import type { CommittedOp } from '@collab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deltaText, randomEdit, seededRandom, sleep, waitFor } from '../support/editing.js';
import { LegacyClient, parseLegacyDocument } from '../support/legacyClient.js';
import { type Link, startLink } from '../support/proxy.js';
import { type ServerProcess, type SqliteServer, startServer, startSqliteServer } from '../support/server.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';

/*
 * The seed's WebSocket protocol (docs/SPEC.md §6) against the real server: `{key, value}` frames at
 * `/api/socket/ws/{id}`, its edits rebased into the op log like any other [C1], live both ways with tRPC
 * clients, and never diverging [C5].
 */

let server: ServerProcess;
let client: CollabClient;

const restUrl = (path: string) => `${server.httpUrl}/api/database/documents${path}`;

async function stored(id: string) {
  return client.api.documents.get.query({ id });
}

/** Polls `probe` until it returns a value; fails after `tries` × 20 ms. */
async function until<T>(probe: () => Promise<T | undefined>, message: string, tries = 500): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`timed out waiting: ${message}`);
}

function errorLogs(process: ServerProcess): string[] {
  return process
    .output()
    .split('\n')
    .filter((line) => line.includes('"level":"error"'));
}

async function createDocument(id: string, text: string) {
  const response = await fetch(restUrl(''), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, Data: JSON.stringify({ ops: [{ insert: text }] }) }),
  });
  expect(response.status).toBe(200);
}

describe.each(storageKinds)('legacy socket on %s', (kind) => {
  let storage: TestStorage;

  beforeAll(async () => {
    storage = await startStorage(kind);
    server = await startServer({
      env: { ...storage.env('legacy'), LOG_LEVEL: 'debug', IDLE_UNLOAD_MS: '300' },
    });
    client = createCollabClient({ url: server.wsUrl, WebSocket });
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    await storage?.stop();
  });

  describe('the seed client (§6)', () => {
    it("[R4] replays the seed React client's exact frames: home page, two editors, typing, format, autosave", async () => {
      const id = randomUUID();
      // Home.js: getorcreate, then the editor route for that id.
      const home = await fetch(restUrl(`/getorcreate/${id}`));
      expect(home.status).toBe(200);
      expect(JSON.parse(JSON.parse((await home.json()) as string).Data)).toEqual({ ops: [{ insert: '\n' }] });

      // TextEditor.js mounts in two tabs: connect, send get-document (with "" or with the id).
      const alice = await LegacyClient.connect(server.port, id);
      const bob = await LegacyClient.connect(server.port, id);
      try {
        alice.sendRaw('{"key":"get-document","value":""}');
        bob.sendRaw(JSON.stringify({ key: 'get-document', value: id }));
        const emptyDocument = `{"id":"${id}","Data":"{\\"ops\\":[{\\"insert\\":\\"\\\\n\\"}]}"}`;
        expect(await alice.nextFrame('db-document', 0)).toEqual({ key: 'db-document', value: emptyDocument });
        expect(await bob.nextFrame('db-document', 0)).toEqual({ key: 'db-document', value: emptyDocument });

        // Each text-change of source "user" is sent as it happens; the other tab applies it as it comes.
        const typed: Array<[LegacyClient, LegacyClient, Delta, string]> = [
          [alice, bob, new Delta().insert('H'), '{"ops":[{"insert":"H"}]}'],
          [alice, bob, new Delta().retain(1).insert('i'), '{"ops":[{"retain":1},{"insert":"i"}]}'],
          [
            bob,
            alice,
            new Delta().retain(2, { bold: true }),
            '{"ops":[{"retain":2,"attributes":{"bold":true}}]}',
          ],
          [bob, alice, new Delta().retain(1).delete(1), '{"ops":[{"retain":1},{"delete":1}]}'],
          [alice, bob, new Delta().retain(1).insert('!\n'), '{"ops":[{"retain":1},{"insert":"!\\n"}]}'],
        ];
        for (const [author, reader, change, frame] of typed) {
          const from = reader.received.length;
          author.edit(change);
          expect(await reader.nextFrame('update-document', from)).toEqual({
            key: 'update-document',
            value: frame,
          });
          // The 2 s autosave of both tabs: accepted, never written over the log.
          alice.save();
          bob.save();
        }
        // No echo: each tab got the document and exactly the other tab's changes, and no error.
        expect(alice.received.map((frame) => frame.key)).toEqual([
          'db-document',
          'update-document',
          'update-document',
        ]);
        expect(bob.received.map((frame) => frame.key)).toEqual([
          'db-document',
          'update-document',
          'update-document',
          'update-document',
        ]);

        const expected = [{ insert: 'H', attributes: { bold: true } }, { insert: '!\n\n' }];
        expect(alice.contents?.ops).toEqual(expected);
        expect(bob.contents?.ops).toEqual(expected);
        const rest = await fetch(restUrl(`/get/${id}`));
        expect(parseLegacyDocument((await rest.json()) as string).delta.ops).toEqual(expected);
        const doc = await stored(id);
        expect(doc).toMatchObject({ version: 5, delta: { ops: expected } });
        const history = await client.api.documents.history.query({ id, fromVersion: 0 });
        expect(history.ops.every((op) => /^anon\.legacy-/.test(op.clientId))).toBe(true);
      } finally {
        await alice.close();
        await bob.close();
      }
    });

    it('[R4] db-document reads stored Data of either shape; a new document is created on get-document', async () => {
      const response = await fetch(restUrl(''), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'legacy-array-data',
          Data: JSON.stringify([{ insert: 'from an op array\n' }]),
        }),
      });
      expect(response.status).toBe(200);
      const fromArray = await LegacyClient.open(server.port, 'legacy-array-data');
      const fresh = await LegacyClient.open(server.port, 'legacy-created-by-socket');
      try {
        expect(JSON.parse(JSON.parse(fromArray.framesOf('db-document')[0]!.value).Data)).toEqual({
          ops: [{ insert: 'from an op array\n' }],
        });
        expect(fresh.contents?.ops).toEqual([{ insert: '\n' }]);
        expect(await stored('legacy-created-by-socket')).toMatchObject({ version: 0 });
      } finally {
        await fromArray.close();
        await fresh.close();
      }
    });

    it('[C2] tRPC changes reach legacy sockets as update-document; legacy changes reach documents.changes', async () => {
      const id = 'legacy-trpc';
      const session = await client.openDocument(id);
      const legacy = await LegacyClient.open(server.port, id);
      const events: CommittedOp[] = [];
      const subscription = client.api.documents.changes.subscribe(
        { id, sinceVersion: 0 },
        { onData: ({ data }) => events.push(...data.ops) },
      );
      try {
        session.apply(new Delta().insert('typed in the new editor'));
        await waitFor(
          () => legacy.text() === 'typed in the new editor\n',
          'the legacy socket shows the tRPC edit',
        );
        legacy.edit(new Delta().retain(5).insert('!'));
        await waitFor(
          () => session.contents.ops[0]?.insert === 'typed! in the new editor\n',
          'tRPC shows it',
        );
        await waitFor(() => events.length === 2, 'both ops on documents.changes');
        expect(events[1]).toMatchObject({
          version: 2,
          clientId: expect.stringMatching(/^anon\.legacy-/),
          seq: 0,
        });
        expect(legacy.framesOf('update-document')).toHaveLength(1);
        expect(legacy.errors()).toEqual([]);
      } finally {
        subscription.unsubscribe();
        session.close();
        await legacy.close();
      }
    });

    it('[R5] save-changes never overwrites concurrent work, even when it reports stale contents', async () => {
      const id = 'legacy-stale-save';
      await createDocument(id, 'shared\n');
      const link = await startLink(server.port);
      const legacy = await LegacyClient.open(link.port, id);
      const session = await client.openDocument(id, { create: false });
      try {
        // The seed's race: someone's edit is on its way to the tab when its autosave fires.
        link.hold();
        session.apply(new Delta().retain(6).insert(' work'));
        await waitFor(() => session.status.pendingEdits === 0, 'the tRPC edit committed');
        legacy.save();
        legacy.save();
        legacy.edit(new Delta().insert('> '));
        await waitFor(
          () => session.contents.ops[0]?.insert === '> shared work\n',
          'the legacy edit is merged',
        );
        link.release();
        await waitFor(() => legacy.text() === '> shared work\n', 'the tab catches up');
        expect(await stored(id)).toMatchObject({
          version: 2,
          delta: { ops: [{ insert: '> shared work\n' }] },
        });
      } finally {
        session.close();
        await legacy.close();
        await link.close();
      }
    });

    it('[C5] a tab that shows something the server never got is corrected by its next save-changes', async () => {
      const id = 'legacy-ghost';
      await createDocument(id, 'truth\n');
      const legacy = await LegacyClient.open(server.port, id);
      try {
        // A local edit that never reached the server (lost with an earlier connection, say).
        legacy.contents = applyChange(legacy.contents!, new Delta().insert('ghost '));
        legacy.save();
        await waitFor(() => legacy.text() === 'truth\n', 'the tab is brought back to the document');
        expect(await stored(id)).toMatchObject({ version: 0, delta: { ops: [{ insert: 'truth\n' }] } });
      } finally {
        await legacy.close();
      }
    });

    it('[C1] a legacy change made before a frame reached it is applied where its author made it', async () => {
      const id = 'legacy-crossing';
      await createDocument(id, 'abc\n');
      const link = await startLink(server.port);
      const legacy = await LegacyClient.open(link.port, id);
      const session = await client.openDocument(id, { create: false });
      try {
        // "X" is inserted at 0 while the tab, not having seen it, deletes "c".
        link.hold();
        session.apply(new Delta().insert('X'));
        await waitFor(() => session.status.pendingEdits === 0, 'X committed');
        legacy.edit(new Delta().retain(2).delete(1));
        await waitFor(() => session.contents.ops[0]?.insert === 'Xab\n', '"c" deleted, not "b"');
        link.release();
        await waitFor(() => legacy.text() === 'Xab\n', 'the tab applies X');

        // Now the frame the tab applies as it is lands in the wrong place, and is corrected.
        link.hold();
        session.apply(new Delta().retain(3).insert('Y'));
        await waitFor(() => session.status.pendingEdits === 0, 'Y committed');
        const from = legacy.received.length;
        legacy.edit(new Delta().insert('Z'));
        await waitFor(() => session.contents.ops[0]?.insert === 'ZXabY\n', 'Z merged before X');
        link.release();
        await waitFor(() => legacy.text() === 'ZXabY\n', 'the tab is corrected');
        expect(legacy.received.slice(from).filter((frame) => frame.key === 'update-document')).toHaveLength(
          2,
        );
        expect(await stored(id)).toMatchObject({ version: 4, delta: { ops: [{ insert: 'ZXabY\n' }] } });
      } finally {
        session.close();
        await legacy.close();
        await link.close();
      }
    });

    /**
     * "Notes" + "a" on an old tab; "X" then "Y" are typed elsewhere and reach the tab, which answers each
     * ping at once while its page is busy, except for the frames in `handled`; it then types "b" at `at`.
     */
    async function busyPageTypes(id: string, handled: readonly string[], at: number) {
      await createDocument(id, 'Notes\n');
      const legacy = await LegacyClient.open(server.port, id);
      const session = await client.openDocument(id, { create: false });
      try {
        legacy.edit(new Delta().retain(5).insert('a'));
        await waitFor(() => session.contents.ops[0]?.insert === 'Notesa\n', '"a" committed');
        for (const text of ['X', 'Y']) {
          legacy.busyPage();
          const from = legacy.received.length;
          session.apply(new Delta().insert(text));
          await waitFor(() => legacy.received.length > from, `the frame with ${text} to reach the tab`);
          if (handled.includes(text)) legacy.pageCatchesUp();
        }
        // Longer than a pong used to wait for such a keystroke.
        await sleep(100);
        legacy.edit(new Delta().retain(at).insert('b'));
        legacy.pageCatchesUp();
        await waitFor(() => session.contents.ops[0]?.insert === 'YXNotesab\n', '"b" after "a", as typed');
        await waitFor(() => legacy.text() === 'YXNotesab\n', 'the tab equal to the server');
      } finally {
        session.close();
        await legacy.close();
      }
    }

    it('[C11] a keystroke the page handled before frames it had already acknowledged keeps its typed place', async () => {
      await busyPageTypes('legacy-busy-page', [], 6);
    });

    it('[C11] a keystroke the page made between two frames it had acknowledged lands between them', async () => {
      // The page handled "X" (its caret moved to 7), not "Y".
      await busyPageTypes('legacy-busy-page-between', ['X'], 7);
    });

    it('[V1] bad frames get an error frame; the socket and the server stay healthy', async () => {
      const id = 'legacy-bad-frames';
      await createDocument(id, 'fine\n');
      const legacy = await LegacyClient.connect(server.port, id);
      try {
        legacy.sendFrame('changes-received', JSON.stringify({ ops: [{ insert: 'too early' }] }));
        await waitFor(() => legacy.errors().length === 1, 'an error for a change before get-document');
        expect(legacy.errors()[0]).toMatch(/get-document/);
        legacy.sendFrame('get-document', '');
        await legacy.nextFrame('db-document');

        const bad: Array<[string | Buffer, boolean]> = [
          ['not json', false],
          ['[1, 2]', false],
          ['{"value": "no key"}', false],
          ['{"key": "rename-document", "value": ""}', false],
          [Buffer.from([0, 1, 2, 3]), true],
          [JSON.stringify({ key: 'changes-received', value: 'not json' }), false],
          [JSON.stringify({ key: 'changes-received', value: '{"ops":[{"delete":100}]}' }), false],
          [JSON.stringify({ key: 'changes-received', value: '{"ops":[{"insert":5}]}' }), false],
          [
            JSON.stringify({
              key: 'changes-received',
              value: '{"ops":[{"retain":5},{"insert":"after the end"}]}',
            }),
            false,
          ],
          [JSON.stringify({ key: 'changes-received', value: `${'['.repeat(40)}${']'.repeat(40)}` }), false],
          [JSON.stringify({ key: 'save-changes', value: '{"ops":[{"insert":"no newline"}]}' }), false],
          [JSON.stringify({ key: 'save-changes', value: 42 }), false],
        ];
        const before = legacy.errors().length;
        for (const [data, binary] of bad) legacy.sendRaw(data, { binary });
        await waitFor(() => legacy.errors().length === before + bad.length, 'one error frame per bad frame');
        for (const message of legacy.errors()) expect(message).not.toMatch(/\.(js|ts):\d+|node_modules/);
        expect(legacy.framesOf('update-document')).toEqual([]);

        // Still usable, and nothing bad was stored.
        legacy.edit(new Delta().insert('still '));
        const doc = await until(async () => {
          const current = await stored(id);
          return current.version > 0 ? current : undefined;
        }, 'the valid change committed');
        expect(legacy.socket.readyState).toBe(WebSocket.OPEN);
        expect(doc).toMatchObject({ version: 1, delta: { ops: [{ insert: 'still fine\n' }] } });
        expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
        expect(errorLogs(server)).toEqual([]);
      } finally {
        await legacy.close();
      }
    });

    it('[D3] a socket path without a valid document id is closed with 1008', async () => {
      const legacy = await LegacyClient.connect(server.port, 'bad%20id');
      expect(await legacy.closed).toEqual({ code: 1008, reason: 'invalid document id' });
    });

    it('[S3] a closed connection leaves the document: its sent changes are committed, then it unloads', async () => {
      const id = 'legacy-close';
      await createDocument(id, '\n');
      const staying = await LegacyClient.open(server.port, id);
      const leaving = await LegacyClient.open(server.port, id);
      for (const word of ['one ', 'two ', 'three ']) leaving.edit(new Delta().insert(word));
      await leaving.close();
      // Sent just before closing, still committed (the seed's user saw them applied).
      await waitFor(() => staying.text() === 'three two one \n', 'the other tab has every word');
      expect((await stored(id)).delta.ops).toEqual([{ insert: 'three two one \n' }]);
      staying.edit(new Delta().insert('after '));
      await waitFor(
        () => staying.errors().length === 0 && staying.text() === 'after three two one \n',
        'typed',
      );
      await staying.close();
      // With both gone, nothing holds the document open [S3].
      const unloaded = `"msg":"document unloaded","docId":"${id}"`;
      await waitFor(() => server.output().includes(unloaded), 'the document unloads');
      expect((await stored(id)).delta.ops).toEqual([{ insert: 'after three two one \n' }]);
      expect(errorLogs(server)).toEqual([]);
    });
  });

  describe('legacy and tRPC clients together', () => {
    it('[C5] legacy and tRPC editors with random concurrent edits and crossing frames converge', async () => {
      const id = 'legacy-converge';
      await createDocument(id, 'start\n');
      const random = seededRandom(20261127);
      const links: Link[] = [];
      const legacies: LegacyClient[] = [];
      const sessions: ClientSession[] = [];
      const trpcClients: CollabClient[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          const link = await startLink(server.port);
          links.push(link);
          legacies.push(await LegacyClient.open(link.port, id, 150));
          const trpc = createCollabClient({ url: server.wsUrl, WebSocket });
          trpcClients.push(trpc);
          sessions.push(await trpc.openDocument(id, { create: false }));
        }
        for (let round = 0; round < 120; round++) {
          for (const [i, legacy] of legacies.entries()) {
            if (random() < 0.6) legacy.edit(randomEdit({ contents: legacy.contents! }, random, `[L${i}]`));
          }
          for (const [i, session] of sessions.entries()) {
            if (random() < 0.6) session.apply(randomEdit(session, random, `<T${i}>`));
          }
          // Slow downlinks: frames to a tab are held back for a while, so its edits cross them.
          for (const link of links) {
            if (random() < 0.15) link.hold();
            else if (random() < 0.3) link.release();
          }
          await sleep(random() * 25);
        }
        for (const link of links) link.release();

        await waitFor(
          () => sessions.every((session) => session.status.pendingEdits === 0),
          'tRPC edits committed',
        );
        // Settled when every tab (after its autosave) and every tRPC editor shows what the server stores.
        const doc = await until(async () => {
          const current = await stored(id);
          const target = JSON.stringify(current.delta.ops);
          const same =
            legacies.every((legacy) => JSON.stringify(legacy.contents?.ops) === target) &&
            sessions.every(
              (session) =>
                session.version === current.version && JSON.stringify(session.contents.ops) === target,
            );
          return same ? current : undefined;
        }, 'every editor converged').catch(async (error) => {
          console.log(JSON.stringify((await stored(id)).delta.ops));
          for (const legacy of legacies)
            console.log('L', JSON.stringify(legacy.contents?.ops), legacy.errors());
          for (const session of sessions)
            console.log('T', session.version, JSON.stringify(session.contents.ops));
          console.log(
            server
              .output()
              .split('\n')
              .filter((l) => /legacy|warn|error/.test(l))
              .slice(-30)
              .join('\n'),
          );
          throw error;
        });
        for (const legacy of legacies) expect(legacy.contents?.ops).toEqual(doc.delta.ops);
        for (const session of sessions) expect(session.contents.ops).toEqual(doc.delta.ops);
        const text = deltaText(doc.delta);
        expect(text).toMatch(/\[L\d\]/);
        expect(text).toMatch(/<T\d>/);
        // Edits made while one is in flight are composed, so there are fewer ops than edits (more on slower storage).
        expect(doc.version).toBeGreaterThan(20);
        expect(errorLogs(server)).toEqual([]);
      } finally {
        for (const session of sessions) session.close();
        for (const trpc of trpcClients) trpc.close();
        for (const legacy of legacies) await legacy.close();
        for (const link of links) await link.close();
      }
    });
  });
});

describe('legacy socket limits (§7)', () => {
  let limited: SqliteServer;

  beforeAll(async () => {
    limited = await startSqliteServer({
      MAX_MESSAGE_BYTES: String(64 * 1024),
      MAX_OPS_PER_SECOND: '5',
      MAX_CONNECTIONS_PER_DOCUMENT: '2',
    });
  });

  afterAll(async () => {
    await limited?.stopAndRemove();
  });

  it('[V2] a change over the message limit is refused and undone on the tab; past twice the limit the socket closes (1009)', async () => {
    const legacy = await LegacyClient.open(limited.port, 'limit-size');
    legacy.edit(new Delta().insert('x'.repeat(100 * 1024)));
    await waitFor(() => legacy.errors().length === 1, 'an error frame');
    expect(legacy.errors()[0]).toMatch(/over the limit of 65536 bytes: the change was undone/);
    await waitFor(() => legacy.text() === '\n', 'the change is undone on the tab');
    expect(legacy.socket.readyState).toBe(WebSocket.OPEN);

    legacy.edit(new Delta().insert('y'.repeat(250 * 1024)));
    expect((await legacy.closed).code).toBe(1009);
    const again = await LegacyClient.open(limited.port, 'limit-size');
    expect(again.text()).toBe('\n');
    await again.close();
    expect(errorLogs(limited)).toEqual([]);
  });

  it('[V5] connections past the per-document limit are closed with 1013', async () => {
    const first = await LegacyClient.open(limited.port, 'limit-connections');
    const second = await LegacyClient.open(limited.port, 'limit-connections');
    const third = await LegacyClient.connect(limited.port, 'limit-connections');
    third.sendFrame('get-document', '');
    expect(await third.closed).toEqual({ code: 1013, reason: 'too many connections to this document' });
    await first.close();
    await second.close();
  });

  it('[V4] changes past the rate limit are refused and undone on the tab, which ends equal to the server', async () => {
    const legacy = await LegacyClient.open(limited.port, 'limit-rate');
    const limitedClient = createCollabClient({ url: limited.wsUrl, WebSocket });
    const { api } = limitedClient;
    try {
      for (let i = 0; i < 30; i++) legacy.edit(new Delta().insert(`${i % 10}`));
      await waitFor(() => legacy.errors().some((message) => /undone/.test(message)), 'some changes refused');
      const doc = await until(async () => {
        const current = await api.documents.get.query({ id: 'limit-rate' });
        return JSON.stringify(current.delta.ops) === JSON.stringify(legacy.contents?.ops)
          ? current
          : undefined;
      }, 'the tab equals the server');
      expect(doc.version).toBeGreaterThan(0);
      expect(doc.version).toBeLessThan(30);
    } finally {
      limitedClient.close();
      await legacy.close();
    }
  });
});
