/**
 * `npm run bench`: performance figures of the real server process on this machine. Nothing here asserts;
 * it prints numbers, side by side with a naive peer where one exists (docs/SPEC.md [P1], [P2]).
 *
 * 1. Commit throughput on one document with 1, 4 and 16 concurrent editors (full OT clients), on SQLite
 *    and on DynamoDB Local.
 * 2. Fan-out [P1]: 200 clients on one document, 50 of them typing 5 ops/s; latency from submit to
 *    arrival at every other client. Peer: the same load on a minimal tRPC server that sends one
 *    message per op per subscriber (no per-turn batching, no OT).
 * 3. History growth [P2]: submit latency on a document with 100 vs 20,000 committed ops.
 */
import { createCollabClient, Delta } from '@collab/client';
import { dynamoDbServerEnv, startDynamoDbLocal, startServer, tempDir } from '@collab/server/testing';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import { fmt, percentile, sleep } from './figures.js';
import { type PeerRouter, startNaivePeer } from './naivePeer.js';

async function commitThroughput(wsUrl: string, editors: number, seconds: number) {
  const docId = `bench-throughput-${editors}-${Date.now()}`;
  const clients = Array.from({ length: editors }, () => createCollabClient({ url: wsUrl, WebSocket }));
  const sessions = await Promise.all(clients.map((c) => c.openDocument(docId)));
  const start = sessions[0]?.version ?? 0;
  const deadline = Date.now() + seconds * 1000;
  // Each editor types as fast as the server acknowledges: one op in flight, the rest buffered [C4].
  while (Date.now() < deadline) {
    for (const session of sessions)
      if (session.status.pendingEdits < 2) session.apply(new Delta().insert('x'));
    await sleep(0);
  }
  await sleep(500);
  const committed = (sessions[0]?.version ?? 0) - start;
  for (const client of clients) client.close();
  return committed / seconds;
}

interface FanoutResult {
  readonly p50: number;
  readonly p99: number;
  readonly delivered: number;
  readonly opsPerSecond: number;
}

/**
 * `clients` subscribers on one document, the first `editors` of them submitting `rate` ops/s each.
 * Latency: from the submit call to the op's arrival at each subscriber.
 */
async function fanout(
  connect: () => {
    subscribe(onOp: (key: string) => void): void;
    submit(key: string): Promise<void>;
    close(): void;
  },
  clients: number,
  editors: number,
  rate: number,
  seconds: number,
): Promise<FanoutResult> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const conns = Array.from({ length: clients }, () => connect());
  for (const conn of conns) {
    conn.subscribe((key) => {
      const sent = sentAt.get(key);
      if (sent !== undefined) latencies.push(performance.now() - sent);
    });
  }
  await sleep(1000);
  const deadline = Date.now() + seconds * 1000;
  let seq = 0;
  const timers = conns.slice(0, editors).map((conn, i) =>
    setInterval(() => {
      if (Date.now() > deadline) return;
      const key = `anon.e${i}-${seq++}`;
      sentAt.set(key, performance.now());
      void conn.submit(key).catch(() => {});
    }, 1000 / rate),
  );
  await sleep(seconds * 1000);
  for (const timer of timers) clearInterval(timer);
  await sleep(2000);
  for (const conn of conns) conn.close();
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    delivered: latencies.length,
    opsPerSecond: sentAt.size / seconds,
  };
}

function collabConnection(wsUrl: string, docId: string) {
  return () => {
    const client = createCollabClient({ url: wsUrl, WebSocket });
    let version = 0;
    let subscription: { unsubscribe(): void } | undefined;
    return {
      subscribe(onOp: (key: string) => void) {
        subscription = client.api.documents.changes.subscribe(
          { id: docId, sinceVersion: 0 },
          {
            onData: ({ data }) => {
              for (const op of data.ops) {
                version = op.version;
                onOp(`${op.clientId}-${op.seq}`);
              }
            },
          },
        );
      },
      async submit(key: string) {
        const [clientId, seq] = key.split('-') as [string, string];
        await client.api.documents.submit.mutate({
          id: docId,
          clientId,
          seq: Number(seq),
          baseVersion: version,
          delta: { ops: [{ insert: 'x' }] },
        });
      },
      close() {
        subscription?.unsubscribe();
        client.close();
      },
    };
  };
}

function peerConnection(wsUrl: string) {
  return () => {
    const wsClient = createWSClient({
      url: wsUrl,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const api = createTRPCClient<PeerRouter>({ links: [wsLink({ client: wsClient })] });
    let subscription: { unsubscribe(): void } | undefined;
    return {
      subscribe(onOp: (key: string) => void) {
        subscription = api.changes.subscribe(undefined, { onData: (op) => onOp(op.key) });
      },
      async submit(key: string) {
        await api.submit.mutate({ key, delta: { ops: [{ insert: 'x' }] } });
      },
      close() {
        subscription?.unsubscribe();
        wsClient.close();
      },
    };
  };
}

async function historyGrowth(wsUrl: string, httpUrl: string) {
  const results: Array<{ history: number; p50: number; p99: number }> = [];
  for (const history of [100, 20_000]) {
    const docId = `bench-history-${history}-${Date.now()}`;
    const client = createCollabClient({ url: wsUrl, WebSocket });
    await client.api.documents.create.mutate({ id: docId });
    // Grow the history quickly: parallel batches over HTTP, each made on the version before it.
    let head = 0;
    for (let v = 0; v < history; v += 200) {
      const base = head;
      const answers = await Promise.all(
        Array.from({ length: Math.min(200, history - v) }, (_, i) =>
          fetch(`${httpUrl}/trpc/documents.submit`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              id: docId,
              clientId: 'anon.grow',
              seq: v + i,
              baseVersion: base,
              delta: { ops: [{ insert: 'y' }] },
            }),
          }).then((res) => res.json() as Promise<{ result: { data: { version: number } } }>),
        ),
      );
      head = Math.max(head, ...answers.map((answer) => answer.result.data.version));
    }
    const latencies: number[] = [];
    let version = history;
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      const result = await client.api.documents.submit.mutate({
        id: docId,
        clientId: 'anon.probe',
        seq: i,
        baseVersion: version,
        delta: { ops: [{ insert: 'z' }] },
      });
      latencies.push(performance.now() - t);
      version = result.version;
    }
    results.push({ history, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
    client.close();
  }
  return results;
}

async function main() {
  const dir = await tempDir('collab-bench-');
  const server = await startServer({
    // 200 clients of the fan-out run connect from this one address.
    env: {
      SQLITE_PATH: `${dir.path}/bench.sqlite`,
      MAX_OPS_PER_SECOND: '100000',
      MAX_CONNECTIONS_PER_ADDRESS: '1000',
    },
  });
  const peer = await startNaivePeer();
  try {
    console.log(`Collab Editor benchmark (node ${process.version}, SQLite)\n`);

    console.log('1. Commit throughput on one document (full OT clients over WebSocket)');
    for (const editors of [1, 4, 16]) {
      const perSecond = await commitThroughput(server.wsUrl, editors, 4);
      console.log(`   ${String(editors).padStart(2)} editors: ${fmt(perSecond)} commits/s`);
    }

    console.log('\n   on DynamoDB Local (same machine, in-memory):');
    const dynamo = await startDynamoDbLocal();
    const onDynamo = await startServer({
      env: { ...dynamoDbServerEnv(dynamo.endpoint), MAX_OPS_PER_SECOND: '100000' },
    });
    try {
      for (const editors of [1, 16]) {
        const perSecond = await commitThroughput(onDynamo.wsUrl, editors, 4);
        console.log(`   ${String(editors).padStart(2)} editors: ${fmt(perSecond)} commits/s`);
      }
    } finally {
      await onDynamo.stop();
      await dynamo.stop();
    }

    console.log('\n2. Fan-out [P1]: 200 clients on one document, 50 typing 5 ops/s each, 10 s');
    const docId = `bench-fanout-${Date.now()}`;
    const setup = createCollabClient({ url: server.wsUrl, WebSocket });
    await setup.api.documents.create.mutate({ id: docId });
    setup.close();
    const ours = await fanout(collabConnection(server.wsUrl, docId), 200, 50, 5, 10);
    const naive = await fanout(peerConnection(peer.wsUrl), 200, 50, 5, 10);
    console.log('   server                          ops/s   p50 ms   p99 ms   deliveries');
    for (const [name, r] of [
      ['collab (batched per turn, OT)  ', ours],
      ['naive peer (1 msg/op/client)   ', naive],
    ] as const) {
      console.log(
        `   ${name} ${fmt(r.opsPerSecond).padStart(6)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${String(r.delivered).padStart(12)}`,
      );
    }

    console.log('\n3. History growth [P2]: submit latency (sequential, one client)');
    for (const r of await historyGrowth(server.wsUrl, server.httpUrl)) {
      console.log(
        `   ${String(r.history).padStart(6)} ops of history: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`,
      );
    }
  } finally {
    await server.stop();
    await peer.stop();
    await dir.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
