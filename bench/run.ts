/**
 * `npm run bench`: performance figures of the real server process on this machine, side by side with
 * ShareDB 7 + rich-text and Hocuspocus 4, each server in its own child process on 127.0.0.1 (docs/SPEC.md
 * [P1], [P2]). Nothing here asserts; it prints numbers.
 *
 * 1. The comparison (bench/compare/): one document, editors inserting one character at random positions.
 *    Each part below runs on a fresh process of each server, so no part inherits another's memory.
 *    - idle memory: RSS and heap per connection at 5,000 idle connections, and the baseline RSS;
 *    - a fresh client loading a 1 MB document (about 42,000 formatted runs);
 *    - typing into a 1 KB and into the 1 MB document: server CPU per op, latency to another client;
 *    - 1,000 clients at 10 ops/s in all: p50 / p99 latency and server CPU;
 *    - saturation: 20 editors among 200 and among 1,000 clients, the rate doubled from 25 ops/s until
 *      p99 goes over 100 ms: the highest rate that stayed under;
 *    - 50 editors × 5 ops/s among 200 clients: p99, server CPU, peak RSS.
 *    The load generator stays thin: receivers only count their frames, one in 20 to 50 (a probe) reads
 *    which ops a frame carries, to time them from the editor's send. Server CPU and RSS come from
 *    /proc/<pid>; a figure the load generator limited (its CPU past 90 % of a core, or fewer ops sent
 *    than the target) is marked. Durations: BENCH_SECONDS, BENCH_STEP_SECONDS, BENCH_TYPING_SECONDS,
 *    BENCH_IDLE_CONNECTIONS; BENCH_SYSTEMS and BENCH_SCENARIOS pick a part; BENCH_VERBOSE prints every
 *    run; BENCH_CPU_PROFILE_DIR makes each server write a CPU profile per part, in a folder named for the
 *    system and the part (read it with `bench/cpuProfile.ts`).
 *    Other work on the machine slows servers and load generator alike: the table shows the load average,
 *    and CPU time per op is the figure it disturbs least.
 * 2. Commit throughput on one document with 1, 4 and 16 full OT clients, on SQLite and DynamoDB Local.
 * 3. History growth [P2]: submit latency on a document with 100 vs 20,000 committed ops.
 */
import { createCollabClient, Delta } from '@collab/client';
import { dynamoDbServerEnv, startDynamoDbLocal, startServer, tempDir } from '@collab/server/testing';
import WebSocket from 'ws';
import { compare, settingsFromEnv } from './compare/compare.js';
import { fmt, percentile, sleep } from './figures.js';

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

async function historyGrowth(wsUrl: string, httpUrl: string) {
  const results: Array<{ history: number; p50: number; p99: number }> = [];
  for (const history of [100, 20_000]) {
    const docId = `bench-history-${history}-${Date.now()}`;
    const client = createCollabClient({ url: wsUrl, WebSocket });
    await client.api.documents.create.mutate({ id: docId });
    // Grow the history quickly: parallel batches over HTTP, each made on the version before it.
    let head = 0;
    // 50 at a time: with 200 at once, some connections were reset on a busy machine.
    for (let v = 0; v < history; v += 50) {
      const base = head;
      const answers = await Promise.all(
        Array.from({ length: Math.min(50, history - v) }, (_, i) =>
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
  try {
    console.log(`Collab Editor benchmark (node ${process.version}, SQLite)\n`);
    const settings = settingsFromEnv(dir.path);
    console.log('1. Side by side: this server, ShareDB 7 + rich-text, Hocuspocus 4');
    await compare(settings);
    if (settings.systems.length > 0 || settings.scenarios.length > 0) return;

    const server = await startServer({
      env: { SQLITE_PATH: `${dir.path}/bench.sqlite`, MAX_OPS_PER_SECOND: '100000' },
    });
    try {
      console.log('\n2. Commit throughput on one document (full OT clients over WebSocket)');
      for (const editors of [1, 4, 16]) {
        const perSecond = await commitThroughput(server.wsUrl, editors, 3);
        console.log(`   ${String(editors).padStart(2)} editors: ${fmt(perSecond)} commits/s`);
      }

      console.log('\n   on DynamoDB Local (same machine, in-memory):');
      const dynamo = await startDynamoDbLocal();
      const onDynamo = await startServer({
        env: { ...dynamoDbServerEnv(dynamo.endpoint), MAX_OPS_PER_SECOND: '100000' },
      });
      try {
        for (const editors of [1, 16]) {
          const perSecond = await commitThroughput(onDynamo.wsUrl, editors, 3);
          console.log(`   ${String(editors).padStart(2)} editors: ${fmt(perSecond)} commits/s`);
        }
      } finally {
        await onDynamo.stop();
        await dynamo.stop();
      }

      console.log('\n3. History growth [P2]: submit latency (sequential, one client)');
      for (const r of await historyGrowth(server.wsUrl, server.httpUrl)) {
        console.log(
          `   ${String(r.history).padStart(6)} ops of history: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`,
        );
      }
    } finally {
      await server.stop();
    }
  } finally {
    await dir.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
