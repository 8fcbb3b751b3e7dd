import { createCollabClient, Delta, type RemotePresence } from '@collab/client';
import type { PresenceEvent } from '@collab/protocol';
import { tempDir } from '@collab/server/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/editing.js';
import { fullHistory } from '../support/history.js';
import { type ServerProcess, startServer } from '../support/server.js';
import { openSqliteFile, readSqliteFile } from '../support/sqliteFile.js';
import { type Api, failureOf, httpApi, wsApi } from '../support/trpc.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
/** Servers and sockets a test started, stopped after it even when it fails. */
const running = new Set<ServerProcess>();
const closers: Array<() => void> = [];

beforeAll(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  for (const server of running) await server.stop('SIGKILL');
  running.clear();
});
afterAll(async () => {
  await dir?.remove();
});

async function start(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  const server = await startServer({ env, ...(port ? { port } : {}) });
  running.add(server);
  return server;
}

async function stop(server: ServerProcess, signal: NodeJS.Signals): Promise<number | null> {
  const code = await server.stop(signal);
  running.delete(server);
  return code;
}

function socket(url: string, options?: Parameters<typeof wsApi>[1]) {
  const client = wsApi(url, options);
  closers.push(client.close);
  return client.api;
}

/** Commits `count` single-letter inserts at the end of the text, one after the other. */
async function typeLetters(api: Api, id: string, clientId: string, count: number) {
  for (let i = 0; i < count; i++) {
    const doc = await api.documents.get.query({ id });
    const textLength = doc.delta.ops.reduce(
      (n, op) => n + ('insert' in op && typeof op.insert === 'string' ? op.insert.length : 1),
      0,
    );
    const letter = { insert: String.fromCharCode(97 + (i % 26)) };
    await api.documents.submit.mutate({
      id,
      clientId,
      seq: i + 1,
      baseVersion: doc.version,
      delta: { ops: textLength > 1 ? [{ retain: textLength - 1 }, letter] : [letter] },
    });
  }
  return api.documents.get.query({ id });
}

describe('[S5] graceful shutdown', () => {
  it('[S5] SIGTERM: exit 0, WebSocket clients are told to reconnect and closed, the snapshot is flushed; a restart has everything', async () => {
    const file = `${dir.path}/sigterm.sqlite`;
    // Snapshots only at shutdown: never by op count or timer during this test.
    const env = { SQLITE_PATH: file, SNAPSHOT_EVERY_OPS: '100000', SNAPSHOT_INTERVAL_MS: '3600000' };
    const server = await start(env);
    const http = httpApi(server.httpUrl);
    const id = 'shutdown-doc';
    await http.documents.create.mutate({ id });
    const before = await typeLetters(http, id, 'anon.typist', 7);
    expect(before.version).toBe(7);
    // Nothing but the creation has been snapshotted yet: what SIGTERM writes is what we check.
    expect(readSqliteFile(file, (f) => f.snapshot(id)?.version)).toBe(0);

    // A raw tRPC socket with a live subscription, to see exactly what the server sends.
    const raw = new WebSocket(server.wsUrl);
    closers.push(() => raw.terminate());
    await new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject));
    const frames: unknown[] = [];
    raw.on('message', (message) => frames.push(JSON.parse(message.toString())));
    const rawClosed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    raw.send(
      JSON.stringify({
        id: 1,
        method: 'subscription',
        params: { path: 'documents.changes', input: { id, sinceVersion: 7 } },
      }),
    );
    await waitFor(
      () => frames.some((f) => (f as { result?: { type?: string } }).result?.type === 'started'),
      'the subscription to start',
    );

    // A typed client watching its socket close.
    const closes: Array<number | undefined> = [];
    const typed = socket(server.wsUrl, { onClose: (cause) => closes.push(cause?.code) });
    await typed.documents.get.query({ id });

    expect(await stop(server, 'SIGTERM')).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    expect(frames).toContainEqual({ id: null, method: 'reconnect' });
    expect(await rawClosed).toBe(1012);
    await waitFor(() => closes.length > 0, 'the typed client to see its socket close');

    const stored = readSqliteFile(file, (f) => ({ snapshot: f.snapshot(id), ops: f.opVersions(id) }));
    expect(stored.snapshot?.version).toBe(7);
    expect(stored.snapshot?.ops).toEqual(before.delta.ops);
    expect(stored.ops).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const again = await start(env);
    const reopened = httpApi(again.httpUrl);
    expect(await reopened.documents.get.query({ id })).toEqual(before);
    expect((await fullHistory(reopened, id)).map((op) => op.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Editing goes on from the head.
    await reopened.documents.submit.mutate({
      id,
      clientId: 'anon.after',
      seq: 1,
      baseVersion: 7,
      delta: { ops: [{ insert: '!' }] },
    });
    expect((await reopened.documents.get.query({ id })).delta.ops).toEqual([{ insert: '!abcdefg\n' }]);
  });

  it('[S5][C4] an editor open during SIGTERM reconnects to the restarted server and keeps editing', async () => {
    const file = `${dir.path}/reconnect.sqlite`;
    const env = { SQLITE_PATH: file };
    const server = await start(env);
    const id = 'shutdown-editor';
    const editor = createCollabClient({ url: server.wsUrl, WebSocket, retryDelayMs: () => 100 });
    closers.push(() => editor.close());
    const session = await editor.openDocument(id);
    await waitFor(() => session.status.connection === 'online', 'editor online');
    session.apply(new Delta().insert('before '));
    await waitFor(() => session.status.pendingEdits === 0, 'edit acknowledged');

    expect(await stop(server, 'SIGTERM')).toBe(0);
    await waitFor(() => session.status.connection === 'offline', 'editor offline');
    session.apply(new Delta().insert('offline '));

    const again = await start(env, server.port);
    await waitFor(
      () => session.status.connection === 'online' && session.status.pendingEdits === 0,
      'editor back online with its offline edit acknowledged',
      30_000,
    );
    const other = httpApi(again.httpUrl);
    const head = await other.documents.get.query({ id });
    await other.documents.submit.mutate({
      id,
      clientId: 'anon.other',
      seq: 1,
      baseVersion: head.version,
      delta: { ops: [{ insert: '>' }] },
    });
    const final = await other.documents.get.query({ id });
    await waitFor(() => session.version === final.version, 'the editor to receive the new op');
    expect(session.contents.ops).toEqual(final.delta.ops);
    expect(final.delta.ops).toEqual([{ insert: '>offline before \n' }]);
  });

  it('[C3] after a restart, an op resent from its original base is recognised and not committed again', async () => {
    const file = `${dir.path}/resend-restart.sqlite`;
    const env = { SQLITE_PATH: file, SNAPSHOT_EVERY_OPS: '2' };
    const server = await start(env);
    const http = httpApi(server.httpUrl);
    const id = 'resend-after-restart';
    await http.documents.create.mutate({ id });
    const op = {
      id,
      clientId: 'anon.lost-ack',
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ insert: 'once' }] },
    };
    expect((await http.documents.submit.mutate(op)).version).toBe(1);
    await typeLetters(http, id, 'anon.busy', 4);
    expect(await stop(server, 'SIGTERM')).toBe(0);

    const again = await start(env);
    const reopened = httpApi(again.httpUrl);
    expect((await reopened.documents.submit.mutate(op)).version).toBe(1);
    const history = await fullHistory(reopened, id);
    expect(history.filter((o) => o.clientId === 'anon.lost-ack')).toHaveLength(1);
    expect(history).toHaveLength(5);
  });
});

describe('[S2] snapshots', () => {
  it('[S2] with SNAPSHOT_EVERY_OPS=10, 25 ops leave a snapshot between 10 and 25, not one per op; a restart loads snapshot + later ops', async () => {
    const file = `${dir.path}/periodic.sqlite`;
    const env = { SQLITE_PATH: file, SNAPSHOT_EVERY_OPS: '10', SNAPSHOT_INTERVAL_MS: '3600000' };
    const server = await start(env);
    const http = httpApi(server.httpUrl);
    const id = 'periodic';
    await http.documents.create.mutate({ id });

    const seen: number[] = [];
    for (let i = 1; i <= 25; i++) {
      await typeLetters(http, id, `anon.writer-${i}`, 1);
      seen.push(readSqliteFile(file, (f) => f.snapshot(id)?.version ?? -1));
    }
    const head = await http.documents.get.query({ id });
    expect(head.version).toBe(25);
    // Snapshots are written in the background: wait for the one that follows op 20.
    await waitFor(
      () => readSqliteFile(file, (f) => f.snapshot(id)?.version ?? 0) >= 20,
      'a snapshot at 20 or later',
    );
    const snapshot = readSqliteFile(file, (f) => f.snapshot(id));
    expect(snapshot?.version).toBeGreaterThanOrEqual(20);
    expect(snapshot?.version).toBeLessThan(25);
    // Never per op: the stored snapshot version took only a few distinct values over 25 commits.
    expect(new Set(seen).size).toBeLessThanOrEqual(4);
    // Each writer appended one "a": the snapshot holds the document at its own version.
    expect(snapshot?.ops).toEqual([{ insert: `${'a'.repeat(snapshot?.version ?? 0)}\n` }]);

    // A crash (no shutdown flush) leaves the snapshot behind the head; loading replays the ops after it.
    expect(await stop(server, 'SIGKILL')).toBeNull();
    const snapshotVersion = snapshot?.version as number;
    expect(readSqliteFile(file, (f) => f.snapshot(id)?.version)).toBe(snapshotVersion);

    const again = await start(env);
    expect(await httpApi(again.httpUrl).documents.get.query({ id })).toEqual(head);
    expect(await stop(again, 'SIGKILL')).toBeNull();

    // The load really starts from the snapshot: with the ops it covers gone from the log, it still loads.
    const writable = openSqliteFile(file, { writable: true });
    try {
      expect(writable.deleteOpsThrough(id, snapshotVersion)).toBe(snapshotVersion);
    } finally {
      writable.close();
    }
    const third = await start(env);
    expect(await httpApi(third.httpUrl).documents.get.query({ id })).toEqual(head);
  });
});

describe('[C6] presence', () => {
  const alice = { name: 'Alice', color: '#e60000' };
  const bob = { name: 'Bob', color: '#0066cc' };
  /** One server for the presence cases that do not need a short TTL. */
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { SQLITE_PATH: `${dir.path}/presence.sqlite` } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A presence stream recording every event it receives. */
  function watchPresence(api: Api, id: string, clientId: string) {
    const events: PresenceEvent[] = [];
    const subscription = api.presence.stream.subscribe(
      { id, clientId },
      { onData: (data) => events.push(...data.events) },
    );
    closers.push(() => subscription.unsubscribe());
    const latest = (who: string) =>
      events.filter((e) => (e.type === 'update' ? e.entry.clientId : e.clientId) === who).at(-1);
    return { events, latest, unsubscribe: () => subscription.unsubscribe() };
  }

  it('[C6] one client sets presence, the other sees its name, colour and cursor; closing the connection sends a leave', async () => {
    const id = 'presence-basic';
    await httpApi(server.httpUrl).documents.create.mutate({ id, delta: { ops: [{ insert: 'hello\n' }] } });
    const aliceSocket = wsApi(server.wsUrl);
    closers.push(aliceSocket.close);
    const watcher = watchPresence(socket(server.wsUrl), id, 'anon.bob');

    await aliceSocket.api.presence.update.mutate({
      id,
      clientId: 'anon.alice',
      user: alice,
      range: { index: 2, length: 3 },
      version: 0,
    });
    await waitFor(() => watcher.latest('anon.alice')?.type === 'update', 'bob to see alice');
    expect(watcher.latest('anon.alice')).toEqual({
      type: 'update',
      entry: { clientId: 'anon.alice', user: alice, range: { index: 2, length: 3 }, version: 0 },
    });
    // Bob's own presence is not echoed back to him.
    const bobApi = socket(server.wsUrl);
    await bobApi.presence.update.mutate({ id, clientId: 'anon.bob', user: bob, range: null, version: 0 });
    const aliceWatcher = watchPresence(aliceSocket.api, id, 'anon.alice');
    await waitFor(() => aliceWatcher.latest('anon.bob') !== undefined, 'alice to see bob');
    expect(watcher.latest('anon.bob')).toBeUndefined();

    aliceSocket.close();
    await waitFor(
      () => watcher.latest('anon.alice')?.type === 'leave',
      'a leave for alice after her connection closed',
    );
    expect(watcher.latest('anon.alice')).toEqual({ type: 'leave', clientId: 'anon.alice' });
  });

  it('[C6] presence that is not refreshed expires after PRESENCE_TTL_MS; refreshed presence stays', async () => {
    const ttlServer = await start({
      SQLITE_PATH: `${dir.path}/presence-ttl.sqlite`,
      PRESENCE_TTL_MS: '1500',
    });
    const http = httpApi(ttlServer.httpUrl);
    const id = 'presence-ttl';
    await http.documents.create.mutate({ id });
    const watcher = watchPresence(socket(ttlServer.wsUrl), id, 'anon.watcher');

    // Over HTTP no connection stays open to close: only the TTL can remove it.
    await http.presence.update.mutate({
      id,
      clientId: 'anon.ghost',
      user: alice,
      range: { index: 0, length: 0 },
      version: 0,
    });
    const steady = socket(ttlServer.wsUrl);
    let refreshing = true;
    const refresh = async () => {
      while (refreshing) {
        await steady.presence.update.mutate({
          id,
          clientId: 'anon.steady',
          user: bob,
          range: null,
          version: 0,
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    };
    const refresher = refresh();
    try {
      await waitFor(() => watcher.latest('anon.ghost')?.type === 'update', 'the ghost to appear');
      await waitFor(
        () => watcher.latest('anon.ghost')?.type === 'leave',
        'the unrefreshed presence to expire',
      );
      expect(watcher.latest('anon.steady')?.type).toBe('update');
      expect(watcher.events.filter((e) => e.type === 'leave' && e.clientId === 'anon.steady')).toEqual([]);
      // A newcomer is told about the one still present, not the expired one.
      const newcomer = watchPresence(socket(ttlServer.wsUrl), id, 'anon.newcomer');
      await waitFor(() => newcomer.latest('anon.steady') !== undefined, 'the newcomer to see steady');
      expect(newcomer.latest('anon.ghost')).toBeUndefined();
    } finally {
      refreshing = false;
      await refresher;
    }
  });

  it('[C6] a remote cursor moves with a concurrent insert before it, and stays put for an insert after it', async () => {
    const http = httpApi(server.httpUrl);
    const id = 'presence-transform';
    await http.documents.create.mutate({ id, delta: { ops: [{ insert: 'abcdef\n' }] } });

    // Bob is an editor: his session shows others' cursors in his own document coordinates.
    const bobClient = createCollabClient({ url: server.wsUrl, WebSocket, clientId: 'anon.bob' });
    closers.push(() => bobClient.close());
    const bobSession = await bobClient.openDocument(id, { create: false });
    let others: readonly RemotePresence[] = [];
    bobSession.on('presence', (list) => {
      others = list;
    });
    const aliceRange = () => others.find((o) => o.clientId === 'anon.alice')?.range;

    const aliceApi = socket(server.wsUrl);
    await aliceApi.presence.update.mutate({
      id,
      clientId: 'anon.alice',
      user: alice,
      range: { index: 3, length: 2 },
      version: 0,
    });
    await waitFor(() => aliceRange()?.index === 3, 'bob to see alice at 3');

    // Carol inserts before alice's selection: it moves right by the inserted length.
    await http.documents.submit.mutate({
      id,
      clientId: 'anon.carol',
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ insert: 'XYZ' }] },
    });
    await waitFor(() => bobSession.version === 1, 'bob to get the insert');
    await waitFor(() => aliceRange()?.index === 6, "alice's selection to move with the insert");
    expect(aliceRange()).toEqual({ index: 6, length: 2 });

    // An insert after the selection leaves it where it is.
    await http.documents.submit.mutate({
      id,
      clientId: 'anon.carol',
      seq: 2,
      baseVersion: 1,
      delta: { ops: [{ retain: 9 }, { insert: '!' }] },
    });
    await waitFor(() => bobSession.version === 2, 'bob to get the second insert');
    expect(aliceRange()).toEqual({ index: 6, length: 2 });

    // The server moves presence too: a newcomer sees alice's selection at the head version.
    const newcomer = watchPresence(socket(server.wsUrl), id, 'anon.newcomer');
    await waitFor(() => newcomer.latest('anon.alice') !== undefined, 'the newcomer to see alice');
    expect(newcomer.latest('anon.alice')).toMatchObject({
      entry: { range: { index: 6, length: 2 }, version: 2 },
    });

    // A cursor sent for an old version (alice had not seen the inserts yet) is moved to the head.
    await aliceApi.presence.update.mutate({
      id,
      clientId: 'anon.alice',
      user: alice,
      range: { index: 1, length: 0 },
      version: 0,
    });
    await waitFor(
      () =>
        (newcomer.latest('anon.alice') as { entry?: { range?: { index: number } } })?.entry?.range?.index ===
        4,
      "alice's stale cursor transformed to the head",
    );
    expect(newcomer.latest('anon.alice')).toMatchObject({
      entry: { range: { index: 4, length: 0 }, version: 2 },
    });
  });

  it('[C6] presence input is validated: unknown document, bad colour, negative index', async () => {
    const http = httpApi(server.httpUrl);
    await http.documents.create.mutate({ id: 'presence-bad' });
    const base = { id: 'presence-bad', clientId: 'anon.x', user: alice, range: null, version: 0 };
    expect((await failureOf(http.presence.update.mutate({ ...base, id: 'presence-nowhere' }))).code).toBe(
      'NOT_FOUND',
    );
    const colour = await failureOf(
      http.presence.update.mutate({ ...base, user: { name: 'X', color: 'red' } }),
    );
    expect(colour.code).toBe('BAD_REQUEST');
    expect(colour.message).toMatch(/color/);
    const index = await failureOf(http.presence.update.mutate({ ...base, range: { index: -1, length: 0 } }));
    expect(index.code).toBe('BAD_REQUEST');
    expect(index.message).toMatch(/range/);
  });
});
