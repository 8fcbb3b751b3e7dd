/**
 * Hostile section of `npm run bench` (docs/SPEC.md §11): each attack on the server's cost bounds against a real
 * server process, with the server's own event-loop delay (p99 and max), its peak RSS, and the commit
 * latency of an honest editor typing meanwhile, side by side with the same figures without an attack.
 * Nothing here asserts; the integration tests prove each attack bounded.
 */
import { startServer, tempDir } from '@collab/server/testing';
import WebSocket from 'ws';
import { fmt, percentile, sleep } from './figures.js';
import { honestEditor, loadReports, worstLoad } from './load.js';

type Server = Awaited<ReturnType<typeof startServer>>;

/** A running attack: stopped once the honest editor is done. */
type Attack = (server: Server) => Promise<() => Promise<void>>;

function rawSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('error', () => {});
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

const call = (id: number, method: string, path: string, input: unknown) => ({
  id,
  method,
  params: { path, input },
});

/** Keeps sending until stopped. */
function loop(step: () => Promise<void> | void, everyMs: number): () => Promise<void> {
  let running = true;
  const done = (async () => {
    while (running) {
      await step();
      await sleep(everyMs);
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

const attacks: Record<string, Attack> = {
  'stale base: 10 sockets of stale submits + presence': async (server) => {
    const sockets = await Promise.all(Array.from({ length: 10 }, () => rawSocket(server.wsUrl)));
    let id = 0;
    const stop = loop(() => {
      for (const socket of sockets) {
        socket.send(
          JSON.stringify(
            Array.from({ length: 16 }, (_, i) =>
              i % 2 === 0
                ? call(++id, 'mutation', 'documents.submit', {
                    id: 'long',
                    clientId: `anon.a${id}`,
                    seq: 0,
                    baseVersion: 0,
                    delta: { ops: [{ insert: 'x' }] },
                  })
                : call(++id, 'mutation', 'presence.update', {
                    id: 'long',
                    clientId: `anon.a${id}`,
                    user: { name: 'a', color: '#000000' },
                    range: { index: 1, length: 0 },
                    version: 0,
                  }),
            ),
          ),
        );
      }
    }, 50);
    return async () => {
      await stop();
      for (const socket of sockets) socket.terminate();
    };
  },
  'WebSocket reader that never reads (64 gets of 1 MB per frame)': async (server) => {
    const socket = await rawSocket(server.wsUrl);
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    let id = 0;
    const stop = loop(() => {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(
        JSON.stringify(
          Array.from({ length: 64 }, () => call(++id, 'query', 'documents.get', { id: 'one-mb' })),
        ),
      );
    }, 100);
    return async () => {
      await stop();
      socket.terminate();
    };
  },
  'HTTP batch amplification (16 reads of 3 MB per request)': async (server) => {
    const paths = Array.from({ length: 16 }, () => 'documents.get').join(',');
    const input = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [i, { id: 'three-mb' }]));
    const url = `${server.httpUrl}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
    return loop(async () => {
      await (await fetch(url)).arrayBuffer();
    }, 0);
  },
  '10,000 subscriptions on one socket': async (server) => {
    const socket = await rawSocket(server.wsUrl);
    let id = 0;
    for (let frame = 0; frame < 10_000 / 16; frame++) {
      socket.send(
        JSON.stringify(
          Array.from({ length: 16 }, () =>
            call(++id, 'subscription', 'documents.changes', { id: 'honest', sinceVersion: 0 }),
          ),
        ),
      );
    }
    return async () => {
      socket.terminate();
    };
  },
  'deltas over MAX_DELTA_OPS (50,001 ops)': async (server) => {
    const socket = await rawSocket(server.wsUrl);
    const ops = Array.from({ length: 50_001 }, (_, i) => ({ insert: `w${i}`, attributes: { bold: true } }));
    let id = 0;
    const stop = loop(() => {
      socket.send(
        JSON.stringify(
          call(++id, 'mutation', 'documents.submit', {
            id: 'long',
            clientId: 'anon.big',
            seq: id,
            baseVersion: 0,
            delta: { ops },
          }),
        ),
      );
    }, 200);
    return async () => {
      await stop();
      socket.terminate();
    };
  },
  'document creation flood (one client)': async (server) => {
    let n = 0;
    return loop(async () => {
      await (
        await fetch(`${server.httpUrl}/trpc/documents.create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: `flood-${Date.now()}-${++n}` }),
        })
      ).arrayBuffer();
    }, 0);
  },
};

/** A document of about `bytes`, in lines of text. */
function documentOf(bytes: number) {
  const line = `${'lorem ipsum dolor sit amet '.repeat(3)}\n`;
  return { ops: [{ insert: line.repeat(Math.ceil(bytes / line.length)) }] };
}

async function setUp(server: Server) {
  const post = (procedure: string, body: unknown) =>
    fetch(`${server.httpUrl}/trpc/${procedure}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((response) => response.json() as Promise<{ result?: { data?: { version: number } } }>);
  await post('documents.create', { id: 'honest' });
  await post('documents.create', { id: 'one-mb', delta: documentOf(1024 * 1024) });
  await post('documents.create', { id: 'three-mb', delta: documentOf(3 * 1024 * 1024) });
  await post('documents.create', { id: 'long' });
  for (let seq = 0; seq < 1100; seq++) {
    await post('documents.submit', {
      id: 'long',
      clientId: 'anon.history',
      seq,
      baseVersion: seq,
      delta: { ops: [{ insert: `line ${seq}\n` }] },
    });
  }
}

async function measure(server: Server, attack: Attack | undefined) {
  const from = server.output().length;
  const stop = attack ? await attack(server) : async () => {};
  const latencies = await honestEditor(server.wsUrl, 'honest', 30, 100);
  await stop();
  await sleep(600);
  const load = worstLoad(loadReports(server.output(), from));
  return { ...load, commitP50: percentile(latencies, 50), commitP99: percentile(latencies, 99) };
}

async function main() {
  const dir = await tempDir('collab-bench-hostile-');
  // Default limits (the attacks run within them), a short load report to read the event loop from.
  const server = await startServer({
    env: { SQLITE_PATH: `${dir.path}/hostile.sqlite`, LOAD_REPORT_MS: '250', MAX_CREATES_PER_MINUTE: '600' },
  });
  try {
    await setUp(server);
    console.log('\n4. Hostile clients (docs/SPEC.md §11): server event-loop delay, peak RSS, and an honest');
    console.log("   editor's commit latency (30 edits, one per 100 ms) during each attack");
    console.log(
      '   attack                                                lag p99   lag max   peak RSS   commit p50   commit p99',
    );
    const rows: Array<[string, Attack | undefined]> = [
      ['none (baseline)', undefined],
      ...Object.entries(attacks),
    ];
    for (const [name, attack] of rows) {
      const r = await measure(server, attack);
      console.log(
        `   ${name.padEnd(52)} ${fmt(r.lagP99Ms).padStart(7)}ms ${fmt(r.lagMaxMs).padStart(7)}ms ${fmt(r.peakRssMiB, 0).padStart(7)}MiB ${fmt(r.commitP50).padStart(10)}ms ${fmt(r.commitP99).padStart(10)}ms`,
      );
    }
  } finally {
    await server.stop();
    await dir.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
