import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { probeHealth, rawSocket, watchRss } from '../support/attack.js';
import { sleep, waitFor } from '../support/editing.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';
import { httpApi, rawError, rawMutation, wsApi } from '../support/trpc.js';

const subscribe = (id: number, docId: string) => ({
  id,
  method: 'subscription',
  params: { path: 'documents.changes', input: { id: docId, sinceVersion: 0 } },
});

describe('[L3] streams and connections are capped', () => {
  let server: SqliteServer;
  beforeAll(async () => {
    server = await startSqliteServer({
      MAX_STREAMS_PER_CONNECTION: '8',
      MAX_CONNECTIONS_PER_DOCUMENT: '12',
      MAX_CONNECTIONS_PER_ADDRESS: '6',
    });
    const api = httpApi(server.httpUrl);
    await api.documents.create.mutate({ id: 'streams' });
    await api.documents.create.mutate({ id: 'shared' });
  });
  afterAll(async () => {
    await server?.stopAndRemove();
  });

  it('[L3] 10,000 subscriptions on one socket: past MAX_STREAMS_PER_CONNECTION each is refused, and commits fan out only to the streams admitted', async () => {
    const attacker = await rawSocket(server.wsUrl);
    try {
      const probe = probeHealth(server.httpUrl);
      const rss = watchRss(server.child.pid as number);
      let id = 0;
      // Frames of 16 calls, the most a batch may have here.
      for (let frame = 0; frame < 10_000 / 16; frame++) {
        attacker.send(Array.from({ length: 16 }, () => subscribe(++id, 'streams')));
      }
      // Refused past the cap (TooManyConnections); once the burst of the op budget is spent, for opening
      // streams too fast (RateLimited); and a socket going on far past its budget is disconnected (the
      // refusals still queued for it go with it).
      await waitFor(() => attacker.isClosed(), 'the flooding socket to be disconnected', 60_000);
      const refusal = attacker.messages.find((m) => m.error?.data?.tag === 'TooManyConnections');
      expect(refusal?.error?.data?.httpStatus).toBe(429);
      expect(server.output()).toMatch(/flooding past its op budget/);

      // A socket within its budget has its streams capped the same way, and gets each commit once per stream.
      const polite = await rawSocket(server.wsUrl);
      polite.send(Array.from({ length: 12 }, (_, i) => subscribe(i + 1, 'streams')));
      await waitFor(
        () => polite.errorsTagged('TooManyConnections') === 4,
        'the streams past the cap refused',
      );
      const events = () =>
        polite.messages.filter((m) => (m.result as { type?: string } | undefined)?.type === 'data').length;
      const writer = wsApi(server.wsUrl);
      await writer.api.documents.submit.mutate({
        id: 'streams',
        clientId: 'anon.writer',
        seq: 0,
        baseVersion: 0,
        delta: { ops: [{ insert: 'x' }] },
      });
      await waitFor(() => events() >= 8, 'the commit on every admitted stream');
      const health = await probe.stop();
      const memory = rss.stop();
      console.log(
        `[L3] 10,000 subscriptions: /healthz max ${health.maxMs.toFixed(1)} ms; RSS ${memory.start.toFixed(0)} → peak ${memory.peak.toFixed(0)} MiB`,
      );
      expect(events()).toBe(8);
      expect(health.failures).toBe(0);
      expect(memory.growth).toBeLessThan(150);
      writer.close();
      polite.close();
    } finally {
      attacker.close();
    }
  });

  it('[L3] every stream, not every connection, counts against MAX_CONNECTIONS_PER_DOCUMENT', async () => {
    const first = await rawSocket(server.wsUrl);
    const second = await rawSocket(server.wsUrl);
    try {
      first.send(Array.from({ length: 8 }, (_, i) => subscribe(i + 1, 'shared')));
      second.send(Array.from({ length: 6 }, (_, i) => subscribe(i + 1, 'shared')));
      // Fourteen streams on two connections, twelve admitted: which two are refused depends on which frame
      // the server reads first.
      const refused = () =>
        first.errorsTagged('TooManyConnections') + second.errorsTagged('TooManyConnections');
      await waitFor(() => refused() === 2, 'two streams past the document cap refused');
      await sleep(200);
      expect(refused()).toBe(2);
      expect(JSON.stringify([...first.messages, ...second.messages])).toMatch(/connections \(streams\) open/);
    } finally {
      first.close();
      second.close();
    }
  });

  it('[L3] connections per address are capped: the upgrade past MAX_CONNECTIONS_PER_ADDRESS gets 429 with Retry-After', async () => {
    const open = await Promise.all(Array.from({ length: 6 }, () => rawSocket(server.wsUrl)));
    const refused = await new Promise<{ status: number; retryAfter: string | undefined }>(
      (resolve, reject) => {
        const socket = new WebSocket(server.wsUrl);
        socket.on('unexpected-response', (_request, response) =>
          resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }),
        );
        socket.on('open', () => reject(new Error('the connection past the cap was accepted')));
        socket.on('error', () => {});
      },
    );
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    open[0]?.close();
    await waitFor(() => open[0]?.isClosed() === true, 'a connection to close');
    const again = await waitForAccepted(server.wsUrl);
    again.close();
    for (const socket of open) socket.close();
  });
});

/** Retries until the server has seen a closed connection go and accepts a new one. */
async function waitForAccepted(url: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await rawSocket(url);
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('[L3] [A6] creation and storage quotas, per principal and per address', () => {
  let server: SqliteServer;
  beforeAll(async () => {
    server = await startSqliteServer({
      MAX_CREATES_PER_MINUTE: '3',
      MAX_CREATES_PER_MINUTE_PER_ADDRESS: '3',
      MAX_BYTES_PER_PRINCIPAL: '5000',
    });
  });
  afterAll(async () => {
    await server?.stopAndRemove();
  });

  it('[L3] creating documents past the quota is refused with 429, RateLimited and Retry-After; a spoofed X-Forwarded-For does not lift it [A6]', async () => {
    for (let i = 0; i < 3; i++) {
      const created = await rawMutation(server.httpUrl, 'documents.create', { id: `quota-${i}` });
      expect(created.status).toBe(200);
    }
    const response = await fetch(`${server.httpUrl}/trpc/documents.create`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': '203.0.113.7',
        forwarded: 'for=203.0.113.8',
      },
      body: JSON.stringify({ id: 'quota-spoofed' }),
    });
    const text = await response.text();
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(rawError({ status: response.status, text, json: JSON.parse(text) })).toMatchObject({
      tag: 'RateLimited',
    });
    // Over the seed's REST routes too, and over a WebSocket.
    const rest = await fetch(`${server.httpUrl}/api/database/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'quota-rest', Data: { ops: [{ insert: 'x\n' }] } }),
    });
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).not.toBeNull();
    const ws = wsApi(server.wsUrl);
    const failure = await ws.api.documents.getOrCreate
      .mutate({ id: 'quota-ws' })
      .catch((error: unknown) => error);
    expect(JSON.stringify((failure as { data?: unknown }).data)).toMatch(/RateLimited/);
    ws.close();
  });

  it('[L3] bytes written per principal are capped by MAX_BYTES_PER_PRINCIPAL', async () => {
    const ws = wsApi(server.wsUrl);
    // The document exists (quota-0); writes into it count against the same principal's bytes.
    let seq = 0;
    let version = (await ws.api.documents.get.query({ id: 'quota-0' })).version;
    let refusal: unknown;
    while (seq < 20 && !refusal) {
      try {
        ({ version } = await ws.api.documents.submit.mutate({
          id: 'quota-0',
          clientId: 'anon.bytes',
          seq: seq++,
          baseVersion: version,
          delta: { ops: [{ insert: 'y'.repeat(1000) }] },
        }));
      } catch (error) {
        refusal = error;
      }
    }
    expect(JSON.stringify((refusal as { data?: unknown }).data)).toMatch(/RateLimited/);
    expect(seq).toBeLessThanOrEqual(6);
    ws.close();
  });
});

describe('[A6] forwarding headers are trusted only from TRUST_PROXY', () => {
  let server: SqliteServer;
  beforeAll(async () => {
    server = await startSqliteServer({
      TRUST_PROXY: 'loopback',
      MAX_CREATES_PER_MINUTE: '2',
      MAX_CREATES_PER_MINUTE_PER_ADDRESS: '2',
    });
  });
  afterAll(async () => {
    await server?.stopAndRemove();
  });

  const create = (id: string, headers: Record<string, string>) =>
    fetch(`${server.httpUrl}/trpc/documents.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ id }),
    }).then((response) => response.status);

  it('[A6] behind a trusted proxy each forwarded client has its own quota; the address a client writes itself is ignored', async () => {
    expect(await create('a-1', { 'x-forwarded-for': '198.51.100.1' })).toBe(200);
    expect(await create('a-2', { 'x-forwarded-for': '198.51.100.1' })).toBe(200);
    expect(await create('a-3', { 'x-forwarded-for': '198.51.100.1' })).toBe(429);
    // Another client behind the same proxy is not affected.
    expect(await create('b-1', { 'x-forwarded-for': '198.51.100.2' })).toBe(200);
    // A client prepending an address of its choosing is still known by the one the proxy appended.
    expect(await create('a-4', { 'x-forwarded-for': '192.0.2.99, 198.51.100.1' })).toBe(429);
    // RFC 7239 Forwarded is read the same way.
    expect(await create('c-1', { forwarded: 'for=198.51.100.3;proto=http' })).toBe(200);
    expect(await create('c-2', { forwarded: 'for="[2001:db8::3]:4711"' })).toBe(200);
  });
});
