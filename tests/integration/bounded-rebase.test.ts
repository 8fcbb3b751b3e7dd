import { createCollabClient, Delta } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { honestEditing, probeHealth, rawSocket, watchRss } from '../support/attack.js';
import { deltaText, sleep, waitFor } from '../support/editing.js';
import { startLink } from '../support/proxy.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';
import { failureOf, wsApi } from '../support/trpc.js';

/** Ops kept in memory for rebasing: small, so the history is soon longer than the window. */
const window = 40;
let server: SqliteServer;
let writer: ReturnType<typeof wsApi>;
const docId = 'long-history';

beforeAll(async () => {
  server = await startSqliteServer({
    RECENT_OPS_WINDOW: String(window),
    SNAPSHOT_EVERY_OPS: '25',
  });
  writer = wsApi(server.wsUrl);
  await writer.api.documents.create.mutate({ id: docId });
  for (let seq = 0; seq < 200; seq++) {
    await writer.api.documents.submit.mutate({
      id: docId,
      clientId: 'anon.writer',
      seq,
      baseVersion: seq,
      delta: { ops: [{ insert: `line ${seq}\n` }] },
    });
  }
});
afterAll(async () => {
  writer?.close();
  await server?.stopAndRemove();
});

describe('[L1] the work of one request is bounded, whatever its base version', () => {
  it('[L1] a submit whose base version is older than the rebase window is refused with VersionTooOld and changes nothing', async () => {
    const before = await writer.api.documents.get.query({ id: docId });
    const failure = await failureOf(
      writer.api.documents.submit.mutate({
        id: docId,
        clientId: 'anon.stale',
        seq: 0,
        baseVersion: 0,
        delta: { ops: [{ insert: 'stale' }] },
      }),
    );
    expect(failure).toMatchObject({ tag: 'VersionTooOld', code: 'PRECONDITION_FAILED', httpStatus: 412 });
    expect(failure.message).toMatch(/older than/);
    const after = await writer.api.documents.get.query({ id: docId });
    expect(after).toEqual(before);
  });

  it('[L1] presence.update at a version older than the rebase window is refused with VersionTooOld', async () => {
    const failure = await failureOf(
      writer.api.presence.update.mutate({
        id: docId,
        clientId: 'anon.stale-cursor',
        user: { name: 'Stale', color: '#123456' },
        range: { index: 0, length: 0 },
        version: 0,
      }),
    );
    expect(failure).toMatchObject({ tag: 'VersionTooOld', httpStatus: 412 });
  });

  it('[L1] a large change is not rebased over many ops: VersionTooOld, and it commits once sent from the head', async () => {
    const head = (await writer.api.documents.get.query({ id: docId })).version;
    const ops = Array.from({ length: 5000 }, (_, i) => ({
      insert: `w${i} `,
      attributes: { [i % 2 === 0 ? 'bold' : 'italic']: true },
    }));
    const failure = await failureOf(
      writer.api.documents.submit.mutate({
        id: docId,
        clientId: 'anon.paster',
        seq: 0,
        baseVersion: head - window + 1,
        delta: { ops },
      }),
    );
    expect(failure).toMatchObject({ tag: 'VersionTooOld', httpStatus: 412 });
    const version = await writer.api.documents.submit.mutate({
      id: docId,
      clientId: 'anon.paster',
      seq: 0,
      baseVersion: head,
      delta: { ops },
    });
    expect(version).toEqual({ version: head + 1 });
  });

  it('[L1] a 1 MB formatted paste (about 41,000 ops, under MAX_DELTA_OPS) commits; the server answers meanwhile', async () => {
    const id = 'big-paste';
    await writer.api.documents.create.mutate({ id });
    const paste = new Delta();
    for (let line = 0; paste.ops.length < 41_000; line++) {
      paste
        .insert(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ${line} `)
        .insert('bold words here', { bold: true })
        .insert(' and a link', { link: `https://example.com/${line}` })
        .insert(' tail text of the line.')
        .insert('\n', line % 3 ? { list: 'bullet' } : { header: 2 });
    }
    const client = createCollabClient({ url: server.wsUrl, WebSocket });
    const probe = probeHealth(server.httpUrl);
    try {
      const session = await client.openDocument(id);
      session.apply(paste);
      await waitFor(() => session.status.pendingEdits === 0, 'the paste to commit', 60_000);
      const stored = await writer.api.documents.get.query({ id });
      expect(deltaText(stored.delta)).toBe(deltaText(session.contents));
      expect(deltaText(stored.delta).length).toBeGreaterThan(1_000_000);
      session.close();
    } finally {
      client.close();
    }
    const health = await probe.stop();
    console.log(
      `[L1] 1 MB formatted paste (${paste.ops.length} ops): /healthz p99 ${health.p99Ms.toFixed(1)} ms, max ${health.maxMs.toFixed(1)} ms`,
    );
    expect(health.failures).toBe(0);
  });

  it('[L1] replacing a document with unrelated text is diffed at a bounded cost; the server answers meanwhile', async () => {
    const id = 'replaced-whole';
    // Two unrelated texts: a character diff of them would take seconds (about the product of their lengths).
    const text = (step: number) =>
      Array.from({ length: 60_000 }, (_, i) => 'abcdefgh \n'[(i * step + (i >> 3)) % 10]).join('');
    await writer.api.documents.create.mutate({ id, delta: { ops: [{ insert: `${text(7)}\n` }] } });
    const probe = probeHealth(server.httpUrl);
    for (const step of [3, 9, 7]) {
      await writer.api.documents.update.mutate({ id, delta: { ops: [{ insert: `${text(step)}\n` }] } });
      const stored = await writer.api.documents.get.query({ id });
      expect(deltaText(stored.delta)).toBe(`${text(step)}\n`);
    }
    const health = await probe.stop();
    console.log(
      `[L1] three replacements by unrelated 60,000-character texts: /healthz p99 ${health.p99Ms.toFixed(1)} ms, max ${health.maxMs.toFixed(1)} ms`,
    );
    expect(health.failures).toBe(0);
  });

  it('[L1] ten sockets flooding stale submits and presence in batches do not stall the server; an honest editor commits every edit', async () => {
    const attackers = await Promise.all(Array.from({ length: 10 }, () => rawSocket(server.wsUrl)));
    const probe = probeHealth(server.httpUrl);
    const rss = watchRss(server.child.pid as number);
    let requestId = 0;
    // A fixed volume (16,000 calls, about 5 s at this pace), not a fixed time: the garbage it leaves before
    // the server's next major GC is then the same on a slow machine as on a fast one.
    const flood = (async () => {
      for (let round = 0; round < 100; round++) {
        for (const attacker of attackers) {
          // 16 calls in one frame: stale submits and stale presence.
          attacker.send(
            Array.from({ length: 16 }, (_, i) => ({
              id: ++requestId,
              method: 'mutation',
              params:
                i % 2 === 0
                  ? {
                      path: 'documents.submit',
                      input: {
                        id: docId,
                        clientId: `anon.attacker-${requestId}`,
                        seq: 0,
                        baseVersion: 0,
                        delta: { ops: [{ insert: 'x' }] },
                      },
                    }
                  : {
                      path: 'presence.update',
                      input: {
                        id: docId,
                        clientId: `anon.attacker-${requestId}`,
                        user: { name: 'A', color: '#000000' },
                        range: { index: 1, length: 0 },
                        version: 0,
                      },
                    },
            })),
          );
        }
        await sleep(50);
      }
    })();
    const [honest] = await Promise.all([honestEditing(server.wsUrl, docId, 20), flood]);
    const health = await probe.stop();
    const memory = rss.stop();
    console.log(
      `[L1] stale flood: /healthz p99 ${health.p99Ms.toFixed(1)} ms, max ${health.maxMs.toFixed(1)} ms over ${health.probes} probes; ` +
        `RSS ${memory.start.toFixed(0)} → peak ${memory.peak.toFixed(0)} MiB; honest commit p50 ${honest.latencies.sort((a, b) => a - b)[10]?.toFixed(1)} ms`,
    );
    expect(health.failures).toBe(0);
    expect(honest.missing).toEqual([]);
    expect(memory.growth).toBeLessThan(150);
    const refusals = attackers.reduce(
      (sum, a) => sum + a.errorsTagged('VersionTooOld') + a.errorsTagged('RateLimited'),
      0,
    );
    const accepted = attackers.reduce(
      (sum, a) => sum + a.messages.filter((m) => m.result !== undefined).length,
      0,
    );
    expect(refusals).toBeGreaterThan(0);
    expect(accepted).toBe(0);
    for (const attacker of attackers) attacker.close();
  });

  it('[L1] a client whose pending edits were made on a version older than the window catches up and commits them: nothing typed is lost', async () => {
    const id = 'offline-past-window';
    await writer.api.documents.create.mutate({ id });
    let tooOldAnswers = 0;
    class WatchedSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        this.on('message', (data) => {
          if (String(data).includes('"VersionTooOld"')) tooOldAnswers++;
        });
      }
    }
    const link = await startLink(server.port);
    const client = createCollabClient({
      url: `ws://127.0.0.1:${link.port}/trpc`,
      WebSocket: WatchedSocket,
      retryDelayMs: () => 50,
    });
    try {
      const session = await client.openDocument(id);
      session.apply(new Delta().insert('online;'));
      await waitFor(() => session.status.pendingEdits === 0, 'the first edit to commit');
      link.cut();
      await waitFor(() => session.status.connection === 'offline', 'the client to notice it is offline');
      for (let i = 0; i < 5; i++) session.apply(new Delta().insert(`offline-${i};`));
      const head = (await writer.api.documents.get.query({ id })).version;
      for (let seq = 0; seq < window * 3; seq++) {
        await writer.api.documents.submit.mutate({
          id,
          clientId: 'anon.busy-writer',
          seq,
          baseVersion: head + seq,
          delta: { ops: [{ insert: `w${seq} ` }] },
        });
      }
      link.restore();
      await waitFor(
        () => session.status.pendingEdits === 0 && session.status.connection === 'online',
        'the offline edits to commit',
        30_000,
      );
      const server_ = await writer.api.documents.get.query({ id });
      await waitFor(() => session.version === server_.version, 'the client to reach the head');
      const text = deltaText(server_.delta);
      for (const typed of ['online;', ...Array.from({ length: 5 }, (_, i) => `offline-${i};`)]) {
        expect(text.split(typed).length - 1, `"${typed}" once in the document`).toBe(1);
      }
      expect(deltaText(session.contents)).toBe(text);
      expect(tooOldAnswers).toBeGreaterThan(0);
      session.close();
    } finally {
      client.close();
      await link.close();
    }
  });
});
