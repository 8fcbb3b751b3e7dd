import type { Socket } from 'node:net';
import { createCollabClient } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/editing.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';

let server: SqliteServer;

beforeAll(async () => {
  server = await startSqliteServer({ MAX_SOCKET_BACKLOG_BYTES: '262144', MAX_OPS_PER_SECOND: '10000' });
});
afterAll(async () => {
  await server?.stopAndRemove();
});

/** A raw subscriber to `documents.changes` whose TCP socket the test can stop reading. */
function rawSubscriber(url: string, id: string) {
  const socket = new WebSocket(url);
  const versions: number[] = [];
  let closed = false;
  let started = false;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      result?: { type?: string; data?: { ops?: { version: number }[] } };
    };
    if (message.result?.type === 'started') started = true;
    for (const op of message.result?.data?.ops ?? []) versions.push(op.version);
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  const opened = new Promise((resolve) => socket.once('open', resolve));
  void opened.then(() =>
    socket.send(
      JSON.stringify({
        id: 1,
        method: 'subscription',
        params: { path: 'documents.changes', input: { id, sinceVersion: 0 } },
      }),
    ),
  );
  const tcp = () => (socket as unknown as { _socket: Socket })._socket;
  return {
    opened,
    versions,
    isStarted: () => started,
    isClosed: () => closed,
    pause: () => tcp().pause(),
    resume: () => tcp().resume(),
  };
}

describe('[P1] a slow subscriber has a bounded backlog and never slows the others', () => {
  it('[P1] a subscriber that stops reading is cut off past the bound, others get every op, and it resumes from its last version', async () => {
    const id = 'backlog';
    const client = createCollabClient({ url: server.wsUrl, WebSocket });
    try {
      await client.api.documents.create.mutate({ id });
      const slow = rawSubscriber(server.wsUrl, id);
      await waitFor(slow.isStarted, 'the slow subscription to start');
      const fast: number[] = [];
      let fastStarted = false;
      const feed = client.api.documents.changes.subscribe(
        { id, sinceVersion: 0 },
        {
          onStarted: () => {
            fastStarted = true;
          },
          onData: ({ data }) => fast.push(...data.ops.map((op) => op.version)),
        },
      );
      await waitFor(() => fastStarted, 'the fast subscription to start');
      slow.pause();

      // Far more than the bound (256 KiB) plus what the kernel buffers on loopback.
      const total = 120;
      const chunk = 'x'.repeat(64 * 1024);
      for (let seq = 0; seq < total; seq++) {
        await client.api.documents.submit.mutate({
          id,
          clientId: 'anon.writer',
          seq,
          baseVersion: seq,
          delta: { ops: [{ insert: chunk }] },
        });
      }
      await waitFor(() => fast.length === total, 'the fast subscriber to get every op');
      expect(fast).toEqual(Array.from({ length: total }, (_, i) => i + 1));

      slow.resume();
      await waitFor(() => slow.isClosed(), 'the server to cut the slow subscriber off');
      expect(slow.versions.length).toBeLessThan(total);
      // What it did get is a gap-free prefix, so it resumes from its last version [C2].
      expect(slow.versions).toEqual(Array.from({ length: slow.versions.length }, (_, i) => i + 1));
      const last = slow.versions.at(-1) ?? 0;
      const rest: number[] = [];
      const resumed = client.api.documents.changes.subscribe(
        { id, sinceVersion: 0, lastEventId: String(last) },
        { onData: ({ data }) => rest.push(...data.ops.map((op) => op.version)) },
      );
      await waitFor(() => rest.length === total - last, 'the resumed subscriber to catch up');
      expect([...slow.versions, ...rest]).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      resumed.unsubscribe();
      feed.unsubscribe();
    } finally {
      client.close();
    }
  });
});
