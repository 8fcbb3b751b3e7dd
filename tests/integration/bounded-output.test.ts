import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honestEditing, probeHealth, rawSocket, watchRss } from '../support/attack.js';
import { waitFor } from '../support/editing.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';
import { httpApi, leakedInternals } from '../support/trpc.js';

let server: SqliteServer;
const bigId = 'three-mb';
const mediumId = 'one-mb';

/** A document of about `bytes`, in lines of text. */
function documentOf(bytes: number) {
  const line = `${'lorem ipsum dolor sit amet '.repeat(3)}\n`;
  return { ops: [{ insert: line.repeat(Math.ceil(bytes / line.length)) }] };
}

beforeAll(async () => {
  server = await startSqliteServer({ MAX_SOCKET_BACKLOG_BYTES: String(4 * 1024 * 1024) });
  const api = httpApi(server.httpUrl);
  await api.documents.create.mutate({ id: bigId, delta: documentOf(3 * 1024 * 1024) });
  await api.documents.create.mutate({ id: mediumId, delta: documentOf(1024 * 1024) });
});
afterAll(async () => {
  await server?.stopAndRemove();
});

function batchUrl(count: number, id: string): string {
  const paths = Array.from({ length: count }, () => 'documents.get').join(',');
  const input = Object.fromEntries(Array.from({ length: count }, (_, i) => [i, { id }]));
  return `${server.httpUrl}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

describe('[L2] batches and answers are bounded', () => {
  it('[L2] an HTTP batch of more calls than MAX_BATCH_SIZE is refused with a typed 400', async () => {
    const response = await fetch(batchUrl(100, mediumId));
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).toMatch(/Batch call exceeds maximum size/);
    expect(text).toMatch(/"tag":"InvalidInput"/);
    expect(text.length).toBeLessThan(10_000);
  });

  it('[L2] an amplified HTTP batch (small request, huge answer) is refused past the answer budget, typed, without internals', async () => {
    const probe = probeHealth(server.httpUrl);
    const rss = watchRss(server.child.pid as number);
    const url = batchUrl(16, bigId);
    const response = await fetch(url);
    const text = await response.text();
    const health = await probe.stop();
    const memory = rss.stop();
    console.log(
      `[L2] HTTP batch of 16 reads of a 3 MB document (${url.length}-byte URL): ${response.status}, ${(text.length / 1e6).toFixed(1)} MB answered; ` +
        `/healthz max ${health.maxMs.toFixed(1)} ms; RSS ${memory.start.toFixed(0)} → peak ${memory.peak.toFixed(0)} MiB`,
    );
    const answers = JSON.parse(text) as Array<{
      result?: unknown;
      error?: { data?: { tag?: string; httpStatus?: number } };
    }>;
    const refused = answers.filter((answer) => answer.error?.data?.tag === 'LimitExceeded');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.error?.data?.httpStatus).toBe(413);
    expect(text.length).toBeLessThan(40 * 1024 * 1024);
    expect(text).not.toMatch(/Invalid string length/);
    expect(leakedInternals(JSON.stringify(answers.filter((answer) => answer.error)))).toEqual([]);
    expect(health.failures).toBe(0);
    expect(memory.growth).toBeLessThan(400);
  });

  it('[L2] a WebSocket reader that never reads is cut off once its backlog passes the bound, for any procedure; the server stays up and an honest editor commits', async () => {
    const attacker = await rawSocket(server.wsUrl);
    // One frame with more calls than a batch may have: refused, typed.
    attacker.send(
      Array.from({ length: 300 }, (_, i) => ({
        id: i + 1,
        method: 'query',
        params: { path: 'documents.get', input: { id: mediumId } },
      })),
    );
    await waitFor(() => attacker.messages.length > 0, 'the oversized batch to be answered');
    expect(JSON.stringify(attacker.messages[0])).toMatch(/Batch call exceeds maximum size/);

    const probe = probeHealth(server.httpUrl);
    const rss = watchRss(server.child.pid as number);
    attacker.pause();
    let requestId = 1000;
    // 20 frames of 64 reads of a 1 MB document: 1.3 GB if the server queued it all.
    for (let frame = 0; frame < 20 && !attacker.isClosed(); frame++) {
      attacker.send(
        Array.from({ length: 64 }, () => ({
          id: ++requestId,
          method: 'query',
          params: { path: 'documents.get', input: { id: mediumId } },
        })),
      );
    }
    await waitFor(
      () => server.output().includes('over its output budget'),
      'the server to cut the reader off',
    );
    const honest = await honestEditing(server.wsUrl, mediumId, 10);
    const health = await probe.stop();
    const memory = rss.stop();
    console.log(
      `[L2] non-reading socket: /healthz max ${health.maxMs.toFixed(1)} ms over ${health.probes} probes; ` +
        `RSS ${memory.start.toFixed(0)} → peak ${memory.peak.toFixed(0)} MiB`,
    );
    expect(health.failures).toBe(0);
    expect(honest.missing).toEqual([]);
    expect(memory.growth).toBeLessThan(300);
    attacker.close();
  });
});
