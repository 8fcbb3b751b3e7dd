import { startRedis } from '@collab/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/editing.js';
import { type ServerProcess, type SqliteServer, startServer, startSqliteServer } from '../support/server.js';
import { startStorage } from '../support/storage.js';
import { failureOf, followChanges, httpApi, wsApi } from '../support/trpc.js';

/** The value of one sample of a Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
    const [series = '', value = ''] = line.split(/ (?=[^ ]+$)/);
    const wanted = Object.entries(labels).every(([key, v]) => series.includes(`${key}="${v}"`));
    if (wanted) return Number(value);
  }
  return undefined;
}

async function scrape(server: ServerProcess): Promise<string> {
  const response = await fetch(`${server.httpUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

describe('[O1] /metrics after some editing', () => {
  let server: SqliteServer;
  beforeAll(async () => {
    server = await startSqliteServer();
  });
  afterAll(() => server.stopAndRemove());

  it('[O1] counts commits, times them in buckets, and reports storage, streams, sockets and refusals', async () => {
    const { api, close } = wsApi(server.wsUrl);
    try {
      await api.documents.getOrCreate.mutate({ id: 'metrics-doc' });
      const feed = followChanges(api, { id: 'metrics-doc', sinceVersion: 0 });
      await feed.started;
      for (let seq = 0; seq < 5; seq++) {
        await api.documents.submit.mutate({
          id: 'metrics-doc',
          clientId: 'anon.metrics-client',
          seq,
          baseVersion: seq,
          delta: { ops: [{ insert: `${seq}` }] },
        });
      }
      await feed.reach(5);
      const refused = await failureOf(
        api.documents.submit.mutate({
          id: 'metrics-doc',
          clientId: 'anon.metrics-client',
          seq: 99,
          baseVersion: 50,
          delta: { ops: [{ insert: 'x' }] },
        }),
      );
      expect(refused.tag).toBe('VersionAhead');

      const text = await scrape(server);
      expect(sample(text, 'collab_committed_ops_total')).toBe(5);
      const committed = { operation: 'submit', outcome: 'committed' };
      expect(sample(text, 'collab_commit_duration_seconds_count', committed)).toBe(5);
      expect(sample(text, 'collab_commit_duration_seconds_bucket', { ...committed, le: '+Inf' })).toBe(5);
      expect(sample(text, 'collab_commit_duration_seconds_bucket', { ...committed, le: '5' })).toBe(5);
      expect(
        sample(text, 'collab_commit_duration_seconds_count', {
          operation: 'submit',
          outcome: 'VersionAhead',
        }),
      ).toBe(1);
      expect(sample(text, 'collab_refusals_total', { tag: 'VersionAhead' })).toBe(1);
      expect(
        sample(text, 'collab_storage_call_duration_seconds_count', { operation: 'appendOp', outcome: 'ok' }),
      ).toBe(5);
      expect(sample(text, 'collab_open_documents')).toBe(1);
      expect(sample(text, 'collab_streams')).toBe(1);
      expect(sample(text, 'collab_connections', { transport: 'trpc' })).toBe(1);
      expect(sample(text, 'collab_socket_messages_sent_total', { transport: 'trpc' })).toBeGreaterThan(5);
      expect(sample(text, 'collab_socket_queued_bytes', { transport: 'trpc' })).toBeGreaterThanOrEqual(0);
      // Without REDIS_URL there is no Redis to report on.
      expect(sample(text, 'collab_redis_up')).toBeUndefined();
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      feed.unsubscribe();
    } finally {
      close();
    }
  });

  it('[O1] /readyz answers 200 with SQLite and no Redis', async () => {
    const response = await fetch(`${server.httpUrl}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true, storage: 'up', redis: 'not configured' });
  });
});

/** Asks `/readyz` until it answers `status`, and returns that answer. */
async function readyzUntil(server: ServerProcess, status: number, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${server.httpUrl}/readyz`);
    if (response.status === status) return response;
    await response.body?.cancel();
    if (Date.now() > deadline) throw new Error(`/readyz never answered ${status}`);
    await sleep(100);
  }
}

describe('[O1] /readyz follows the storage', () => {
  it('[O1] turns 503 when DynamoDB Local stops, while /healthz stays 200', async () => {
    const storage = await startStorage('dynamodb');
    let server: ServerProcess | undefined;
    try {
      server = await startServer({ env: storage.env('collab') });
      const ready = await fetch(`${server.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, storage: 'up', redis: 'not configured' });

      await storage.stop();
      const notReady = await readyzUntil(server, 503);
      expect(await notReady.json()).toEqual({ ready: false, storage: 'down', redis: 'not configured' });
      expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await server?.stop();
      await storage.stop();
    }
  });
});

describe('[O1] /readyz and /metrics follow Redis', () => {
  it('[O1] with REDIS_URL, Redis going away turns /readyz 503 and collab_redis_up 0', async () => {
    const redis = await startRedis();
    const storage = await startStorage('sqlite');
    let server: ServerProcess | undefined;
    try {
      server = await startServer({ env: { ...storage.env('collab'), REDIS_URL: redis.url } });
      const ready = await readyzUntil(server, 200);
      expect(await ready.json()).toEqual({ ready: true, storage: 'up', redis: 'up' });
      expect(sample(await scrape(server), 'collab_redis_up')).toBe(1);

      await redis.stop();
      const notReady = await readyzUntil(server, 503);
      expect(await notReady.json()).toEqual({ ready: false, storage: 'up', redis: 'down' });
      expect(sample(await scrape(server), 'collab_redis_up')).toBe(0);
    } finally {
      await server?.stop();
      await redis.stop();
      await storage.stop();
    }
  });
});

describe('[O2] server logs', () => {
  it('[O2] JSON lines; each request line carries a request id; document contents never appear', async () => {
    const server = await startSqliteServer({ LOG_LEVEL: 'debug' });
    const secret = 'only-the-document-knows-this';
    try {
      const api = httpApi(server.httpUrl);
      await api.documents.create.mutate({ id: 'logged-doc', delta: { ops: [{ insert: `${secret}\n` }] } });
      await api.documents.update.mutate({ id: 'logged-doc', delta: { ops: [{ insert: `${secret}!\n` }] } });
      await failureOf(
        api.documents.submit.mutate({
          id: 'logged-doc',
          clientId: 'anon.c',
          seq: 0,
          baseVersion: 0,
          delta: { ops: [{ retain: 10_000 }, { insert: secret }] },
        }),
      );
      const refused = await fetch(`${server.httpUrl}/api/database/documents/nope!`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Data: secret }),
      });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      await server.stop();

      const lines = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const requests = lines.filter(
        (line) => line.msg === 'http request' || line.msg === 'REST request refused',
      );
      expect(requests.length).toBeGreaterThanOrEqual(4);
      for (const line of requests) expect(line.requestId, JSON.stringify(line)).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(requests.map((line) => line.requestId)).size).toBeGreaterThanOrEqual(4);
      expect(server.output()).not.toContain(secret);
    } finally {
      await server.stopAndRemove();
    }
  });
});
