import { Delta } from '@collab/ot';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type CollabClient, type CollabClientOptions, createCollabClient } from '../src/client.js';
import type { CollabError } from '../src/errors.js';
import type { ClientSession, DocumentStatus } from '../src/session.js';
import { startTrpcServer } from './support/trpcServer.js';

let server: Awaited<ReturnType<typeof startTrpcServer>>;
const clients: CollabClient[] = [];
/** Reconnect attempts the clients asked a delay for. */
let attempts: number[];

function connect(options: Partial<CollabClientOptions> = {}) {
  const client = createCollabClient({
    url: server.url,
    WebSocket,
    retryDelayMs: (attempt) => {
      attempts.push(attempt);
      return 0;
    },
    ...options,
  });
  clients.push(client);
  return client;
}

/** Waits for a session's connection to reach `connection`. */
const until = (session: ClientSession, connection: DocumentStatus['connection']) =>
  vi.waitFor(() => expect(session.status.connection).toBe(connection), { timeout: 5_000 });

/** The connection states a session goes through, as its status events tell them. */
function connectionsOf(session: ClientSession) {
  const seen: DocumentStatus['connection'][] = [];
  session.on('status', ({ connection }) => {
    if (seen.at(-1) !== connection) seen.push(connection);
  });
  return seen;
}

beforeEach(async () => {
  attempts = [];
  server = await startTrpcServer();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  vi.restoreAllMocks();
  await server.stop();
});

describe('[A1] [A4] who the client acts for', () => {
  it('[A4] asks the server once, and names its ops after the authorId it was told', async () => {
    // Bytes under 16 too: each must still take two hex digits.
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation((bytes) => {
      (bytes as Uint8Array).fill(10);
      return bytes;
    });
    const client = connect();
    expect(client.clientId).toBe('');
    const [first, second] = await Promise.all([client.me(), client.me()]);
    expect(first).toEqual({ authorId: 'alice', kind: 'service', name: null, color: null });
    expect(second).toBe(first);
    expect(server.calls.me).toBe(1);
    expect(client.clientId).toBe(`alice.${'0a'.repeat(12)}`);
  });

  it('[C3] a clientId given by the caller is used as it is', async () => {
    const client = connect({ clientId: 'alice.tab-1' });
    await client.me();
    expect(client.clientId).toBe('alice.tab-1');
  });

  it('[A1] a failed answer is told as a CollabError, and the server is asked again next time', async () => {
    server.control.failMe = 1;
    const client = connect();
    await expect(client.me()).rejects.toMatchObject({ name: 'CollabError', tag: 'Unavailable' });
    await expect(client.me()).resolves.toMatchObject({ authorId: 'alice' });
    expect(server.calls.me).toBe(2);
  });

  it('[A1] the token is sent as a connection parameter, and nothing without one', async () => {
    await connect({ token: 'api-key' }).me();
    await connect().me();
    expect(server.calls.connectionParams).toEqual([{ token: 'api-key' }, null]);
  });
});

describe('[C4] documents', () => {
  it('[C4] opening creates the document by default and follows its changes as this client', async () => {
    const client = connect();
    const session = await client.openDocument('notes');
    expect(server.calls.getOrCreate).toEqual([{ id: 'notes' }]);
    expect(session.id).toBe('notes');
    const changes: Delta[] = [];
    session.on('change', (delta) => changes.push(delta));
    await until(session, 'online');

    server.commitRemote('notes', { ops: [{ insert: 'hi' }] });
    await vi.waitFor(() => expect(changes).toEqual([new Delta().insert('hi')]));
    session.apply(new Delta().retain(2).insert('!'));
    await vi.waitFor(() => expect(session.status.pendingEdits).toBe(0));
    expect(server.calls.submits).toMatchObject([
      { id: 'notes', clientId: client.clientId, seq: 0, baseVersion: 1 },
    ]);
    expect(session.contents).toEqual(new Delta().insert('hi!\n'));
  });

  it('[A2] without creating, an existing document is read with the share link key', async () => {
    await connect().openDocument('notes');
    const session = await connect().openDocument('notes', { create: false, key: 'k3y' });
    expect(server.calls.get).toEqual([{ id: 'notes', key: 'k3y' }]);
    await vi.waitFor(() =>
      expect(server.calls.changes.map((stream) => stream.input)).toContainEqual({
        id: 'notes',
        key: 'k3y',
        sinceVersion: 0,
      }),
    );
    expect(session.contents).toEqual(new Delta().insert('\n'));
  });

  it('[A3] a document that cannot be opened is told as a CollabError', async () => {
    await expect(connect().openDocument('missing', { create: false })).rejects.toMatchObject({
      name: 'CollabError',
      tag: 'DocumentNotFound',
    });
  });

  it('[C3] a document opened again by the same client never reuses a seq', async () => {
    const client = connect();
    const first = await client.openDocument('notes');
    await until(first, 'online');
    first.apply(new Delta().insert('a'));
    await vi.waitFor(() => expect(first.status.pendingEdits).toBe(0));
    first.close();
    const again = await client.openDocument('notes');
    await until(again, 'online');
    again.apply(new Delta().insert('b'));
    await vi.waitFor(() => expect(server.calls.submits).toHaveLength(2));
    expect(server.calls.submits.map((s) => s.seq)).toEqual([0, 1]);
  });

  it('[C10] edits an earlier session left unsaved are restored when opening', async () => {
    const client = connect({ clientId: 'alice.tab-1' });
    await client.openDocument('notes');
    const session = await client.openDocument('notes', {
      restore: {
        version: 0,
        confirmed: { ops: [{ insert: '\n' }] },
        inFlight: { seq: 4, delta: { ops: [{ insert: 'kept' }] } },
        nextSeq: 5,
      },
    });
    await vi.waitFor(() => expect(session.status.pendingEdits).toBe(0));
    expect(server.calls.submits).toMatchObject([{ clientId: 'alice.tab-1', seq: 4 }]);
    expect(session.contents).toEqual(new Delta().insert('kept\n'));
  });
});

describe('[C4] [C10] the connection', () => {
  it('[C4] a dropped socket shows offline, reconnects, and the op in flight goes out again with the same seq', async () => {
    server.control.holdSubmits = true;
    const session = await connect().openDocument('notes');
    await until(session, 'online');
    session.apply(new Delta().insert('a'));
    await vi.waitFor(() => expect(server.calls.submits).toHaveLength(1));

    const connections = connectionsOf(session);
    server.control.holdSubmits = false;
    server.dropConnections();
    await vi.waitFor(() => expect(connections).toEqual(['offline', 'online']));
    await vi.waitFor(() => expect(session.status.pendingEdits).toBe(0));
    expect(attempts.length).toBeGreaterThan(0);
    expect(server.calls.submits.map((s) => s.seq)).toEqual([0, 0]);
  });

  it('[C5] a socket the server closed over a message too big ends the edit in flight with LimitExceeded', async () => {
    server.control.holdSubmits = true;
    const session = await connect().openDocument('notes');
    const errors: CollabError[] = [];
    session.on('error', (error) => errors.push(error));
    await until(session, 'online');
    session.apply(new Delta().insert('a'));
    await vi.waitFor(() => expect(server.calls.submits).toHaveLength(1));
    server.dropConnections(1009);
    await vi.waitFor(() => expect(errors.map((e) => e.tag)).toContain('LimitExceeded'));
  });

  it('[C10] a connection that goes silent shows offline within seconds, then comes back', async () => {
    const session = await connect().openDocument('notes');
    await until(session, 'online');
    const connections = connectionsOf(session);
    server.silence();
    await vi.waitFor(() => expect(connections).toEqual(['offline', 'online']), { timeout: 10_000 });
  }, 15_000);

  it('closing the client closes its documents and its socket', async () => {
    const client = connect();
    const session = await client.openDocument('notes');
    await until(session, 'online');
    const statuses: DocumentStatus[] = [];
    session.on('status', (status) => statuses.push(status));
    client.close();
    expect(() => session.apply(new Delta().insert('a'))).toThrow('the document session is closed');
    await vi.waitFor(() => expect(server.connections()).toBe(0));
    expect(server.calls.changes.every((stream) => stream.ended)).toBe(true);
    expect(statuses).toEqual([]);
  });
});
