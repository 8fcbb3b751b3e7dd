import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollabClient } from '@collab/client';
import { type FaultyServer, startFaultyServer } from '@collab/server/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/editing.js';

let dir: string;
let server: FaultyServer;
/** A server that keeps only 10 recent ops, so one turn can commit more than its followers can be sent. */
let smallWindow: FaultyServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'collab-fanout-'));
  server = await startFaultyServer(join(dir, 'fanout.sqlite'), { MAX_OPS_PER_SECOND: '10000' });
  smallWindow = await startFaultyServer(join(dir, 'window.sqlite'), {
    MAX_OPS_PER_SECOND: '10000',
    RECENT_OPS_WINDOW: '10',
  });
});
afterAll(async () => {
  await server?.stop();
  await smallWindow?.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A raw `documents.changes` subscriber (request id `wireId`) keeping every text frame it receives. */
function rawSubscriber(url: string, docId: string, wireId: number) {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  const versions: number[] = [];
  socket.on('message', (data, isBinary) => {
    if (isBinary) throw new Error('a binary frame');
    const text = String(data);
    frames.push(text);
    const message = JSON.parse(text) as { result?: { data?: { data?: { ops?: { version: number }[] } } } };
    for (const op of message.result?.data?.data?.ops ?? []) versions.push(op.version);
  });
  socket.on('error', () => {});
  socket.once('open', () =>
    socket.send(
      JSON.stringify({
        id: wireId,
        jsonrpc: '2.0',
        method: 'subscription',
        params: { path: 'documents.changes', input: { id: docId, sinceVersion: 0 } },
      }),
    ),
  );
  return { frames, versions, close: () => socket.close() };
}

type Event = { ops?: { version?: unknown }[] } | undefined;

/** Whether `value` is a changes event (ops with versions), or a tRPC message carrying one. */
function carriesChangesEvent(value: unknown): boolean {
  const message = value as (Event & { result?: { data?: { data?: Event } } }) | null;
  const isEvent = (event: Event) =>
    Array.isArray(event?.ops) && event.ops.some((op) => typeof op?.version === 'number');
  return isEvent(message ?? undefined) || isEvent(message?.result?.data?.data);
}

describe('[P1] fan-out work is done once per flush', () => {
  it('[P1] one flush to 30 subscribers serialises its event once; each gets the frame tRPC would send, under its own id', async () => {
    const docId = 'fanout-once';
    const client = createCollabClient({ url: server.wsUrl, WebSocket });
    try {
      await client.api.documents.create.mutate({ id: docId });
      const subscribers = Array.from({ length: 30 }, (_, i) => rawSubscriber(server.wsUrl, docId, 100 + i));
      const submit = (seq: number) =>
        client.api.documents.submit.mutate({
          id: docId,
          clientId: 'anon.writer',
          seq,
          baseVersion: seq,
          delta: { ops: [{ insert: `${seq}` }] },
        });
      // The first event of each subscription goes through tRPC; it tells the subscription its id.
      await waitFor(
        () => subscribers.every((s) => s.frames.some((f) => f.includes('"started"'))),
        'every subscription to start',
      );
      await submit(0);
      await waitFor(() => subscribers.every((s) => s.versions.length === 1), 'the first op everywhere');

      const stringify = vi.spyOn(JSON, 'stringify');
      await submit(1);
      await waitFor(() => subscribers.every((s) => s.versions.length === 2), 'the second op everywhere');
      const serialised = stringify.mock.calls.filter(([value]) => carriesChangesEvent(value));
      expect(serialised).toHaveLength(1);

      for (const [i, subscriber] of subscribers.entries()) {
        const frame = subscriber.frames.at(-1) ?? '';
        expect(JSON.parse(frame)).toEqual({
          id: 100 + i,
          jsonrpc: '2.0',
          result: {
            type: 'data',
            id: '2',
            data: {
              id: '2',
              data: {
                ops: [{ version: 2, delta: { ops: [{ insert: '1' }] }, clientId: 'anon.writer', seq: 1 }],
              },
            },
          },
        });
      }
      for (const subscriber of subscribers) subscriber.close();
    } finally {
      client.close();
    }
  });

  it('[P1][C2] more ops in one turn than the server keeps in memory: followers read them from storage, in order, no gap', async () => {
    const docId = 'fanout-window';
    const client = createCollabClient({ url: smallWindow.wsUrl, WebSocket });
    try {
      await client.api.documents.create.mutate({ id: docId });
      const subscribers = Array.from({ length: 3 }, (_, i) => rawSubscriber(smallWindow.wsUrl, docId, i + 1));
      await waitFor(
        () => subscribers.every((s) => s.frames.some((f) => f.includes('"started"'))),
        'every subscription to start',
      );
      const submit = (seq: number, baseVersion: number) =>
        client.api.documents.submit.mutate({
          id: docId,
          clientId: 'anon.burst',
          seq,
          baseVersion,
          delta: { ops: [{ insert: 'x' }] },
        });
      await submit(0, 0);
      await waitFor(() => subscribers.every((s) => s.versions.length === 1), 'the first op everywhere');
      // 30 submits in one message, each on the version before it: committed in one turn, and more
      // than the 10 ops kept in memory.
      await Promise.all(Array.from({ length: 30 }, (_, i) => submit(i + 1, i + 1)));
      await waitFor(() => subscribers.every((s) => s.versions.length === 31), 'every op everywhere');
      for (const subscriber of subscribers) {
        expect(subscriber.versions).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
        subscriber.close();
      }
    } finally {
      client.close();
    }
  });
});
