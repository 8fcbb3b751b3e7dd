/**
 * Several instances on one hot document [S1] [S4]: commit latency (submit → answer), cross-client delivery
 * latency (submit → arrival at every other editor) and throughput with 1, 2 and 3 server processes over one
 * storage and one Redis, editors spread round-robin across the instances. Prints numbers, asserts nothing.
 *
 *   node --conditions=source --import tsx multi-instance.ts [--storage=sqlite|dynamodb]
 *     [--instances=1,2,3] [--editors=12] [--rate=8] [--seconds=8] [--burst-seconds=5]
 *
 * Runs the production build (`dist/main.js`): build first. Every process shares this machine's cores, so
 * figures are comparative, not absolute.
 */
import {
  dynamoDbServerEnv,
  type ServerProcess,
  startDynamoDbLocal,
  startRedis,
  startServer,
  tempDir,
} from '@collab/server/testing';
import WebSocket from 'ws';
import { fmt, percentile, sleep } from './figures.js';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
    return [key, value] as const;
  }),
);
const storageKind = args.get('storage') === 'dynamodb' ? 'dynamodb' : 'sqlite';
const editorCount = Number(args.get('editors') ?? 12);
const opsPerSecondPerEditor = Number(args.get('rate') ?? 8);
const pacedSeconds = Number(args.get('seconds') ?? 8);
const burstSeconds = Number(args.get('burst-seconds') ?? 5);
const instanceCounts = (args.get('instances') ?? '1,2,3').split(',').map(Number);

/** Keeps each saturating editor under the server's default per-connection limit (200 ops/s). */
const minSubmitGapMs = 1000 / 180;

/** A bare tRPC-over-WebSocket client (no transformer): enough for submit and the change stream. */
class TrpcSocket {
  #nextId = 1;
  readonly #calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly #streams = new Map<number, (data: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text === 'PING') return ws.send('PONG');
      if (text === 'PONG') return;
      const message = JSON.parse(text) as {
        id: number;
        result?: { type: string; data?: unknown };
        error?: { message: string; data?: { tag?: string } };
      };
      const call = this.#calls.get(message.id);
      if (message.error) {
        this.#calls.delete(message.id);
        call?.reject(new Error(message.error.data?.tag ?? message.error.message));
        return;
      }
      if (message.result?.type !== 'data') return;
      if (call) {
        this.#calls.delete(message.id);
        call.resolve(message.result.data);
        return;
      }
      this.#streams.get(message.id)?.(message.result.data);
    });
    ws.on('close', () => {
      for (const call of this.#calls.values()) call.reject(new Error('closed'));
      this.#calls.clear();
    });
  }

  static open(url: string): Promise<TrpcSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new TrpcSocket(ws)));
      ws.once('error', reject);
    });
  }

  mutate(path: string, input: unknown): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method: 'mutation', params: { path, input } }));
    });
  }

  subscribe(path: string, input: unknown, onData: (data: unknown) => void): void {
    const id = this.#nextId++;
    this.#streams.set(id, onData);
    this.ws.send(JSON.stringify({ id, method: 'subscription', params: { path, input } }));
  }

  close(): void {
    this.ws.close();
  }
}

interface ChangesEvent {
  readonly data: {
    readonly ops: { version: number; delta: { ops: { insert?: string }[] }; clientId: string; seq: number }[];
  };
}

/** An editor: follows the document and submits inserts at random places, one op in flight at a time. */
class Editor {
  version = 0;
  length = 1;
  seq = 0;
  inFlight = false;

  constructor(
    readonly name: string,
    readonly socket: TrpcSocket,
    readonly docId: string,
    onOp: (key: string) => void,
  ) {
    socket.subscribe('documents.changes', { id: docId, sinceVersion: 0 }, (raw) => {
      for (const op of (raw as ChangesEvent).data.ops) {
        this.version = op.version;
        for (const part of op.delta.ops)
          if (typeof part.insert === 'string') this.length += part.insert.length;
        onOp(`${op.clientId}/${op.seq}`);
      }
    });
  }

  /** Submits one op; resolves with the commit latency in ms, or rejects with the server's error tag. */
  async submit(): Promise<number> {
    this.inFlight = true;
    const at = Math.floor(Math.random() * this.length);
    const seq = this.seq++;
    const started = performance.now();
    try {
      await this.socket.mutate('documents.submit', {
        id: this.docId,
        clientId: `anon.${this.name}`,
        seq,
        baseVersion: this.version,
        delta: { ops: at > 0 ? [{ retain: at }, { insert: 'x' }] : [{ insert: 'x' }] },
      });
      return performance.now() - started;
    } finally {
      this.inFlight = false;
    }
  }
}

interface PhaseResult {
  readonly commitP50: number;
  readonly commitP99: number;
  readonly commitMax: number;
  readonly deliveryP50: number;
  readonly deliveryP99: number;
  readonly throughput: number;
  /** Submits the server refused, by error tag (Unavailable: commit retries exhausted under contention). */
  readonly refused: ReadonlyMap<string, number>;
}

async function runPhase(
  instances: readonly ServerProcess[],
  docId: string,
  mode: { kind: 'paced'; rate: number } | { kind: 'burst' },
  seconds: number,
): Promise<PhaseResult> {
  const sentAt = new Map<string, number>();
  const deliveries: number[] = [];
  const editors: Editor[] = [];
  const creator = await TrpcSocket.open((instances[0] as ServerProcess).wsUrl);
  await creator.mutate('documents.getOrCreate', { id: docId });
  creator.close();
  for (let i = 0; i < editorCount; i++) {
    const instance = instances[i % instances.length] as ServerProcess;
    const socket = await TrpcSocket.open(instance.wsUrl);
    const name = `bench-${mode.kind}-${i}`;
    editors.push(
      new Editor(name, socket, docId, (key) => {
        const sent = sentAt.get(key);
        if (sent !== undefined && !key.startsWith(`anon.${name}/`)) deliveries.push(performance.now() - sent);
      }),
    );
  }
  await sleep(500);
  const commits: number[] = [];
  const refused = new Map<string, number>();
  const startVersion = Math.max(...editors.map((e) => e.version));
  const started = performance.now();
  const deadline = started + seconds * 1000;
  /** Resolves false when the server refused the op; the client would retry it after a pause. */
  const submit = async (editor: Editor): Promise<boolean> => {
    sentAt.set(`${editor.name}/${editor.seq}`, performance.now());
    try {
      commits.push(await editor.submit());
      return true;
    } catch (error) {
      const tag = (error as Error).message;
      refused.set(tag, (refused.get(tag) ?? 0) + 1);
      return false;
    }
  };
  if (mode.kind === 'paced') {
    // Each editor types `rate` ops/s (skipping a beat while its previous op is in flight, as a client would).
    const timers = editors.map((editor) =>
      setInterval(() => {
        if (performance.now() < deadline && !editor.inFlight) void submit(editor);
      }, 1000 / mode.rate),
    );
    await sleep(seconds * 1000);
    for (const timer of timers) clearInterval(timer);
  } else {
    // As fast as the server answers: each editor submits again as soon as its previous op is committed (at
    // most 180 ops/s per editor, under the default per-connection limit).
    await Promise.all(
      editors.map(async (editor) => {
        while (performance.now() < deadline) {
          const began = performance.now();
          // A refused op waits as the client would before trying again.
          if (!(await submit(editor))) await sleep(500);
          else await sleep(Math.max(0, minSubmitGapMs - (performance.now() - began)));
        }
      }),
    );
  }
  const elapsed = (performance.now() - started) / 1000;
  await sleep(1500);
  const endVersion = Math.max(...editors.map((e) => e.version));
  for (const editor of editors) editor.socket.close();
  return {
    commitP50: percentile(commits, 50),
    commitP99: percentile(commits, 99),
    commitMax: Math.max(...commits),
    deliveryP50: percentile(deliveries, 50),
    deliveryP99: percentile(deliveries, 99),
    throughput: (endVersion - startVersion) / elapsed,
    refused,
  };
}

async function startStorage(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  if (storageKind === 'sqlite') {
    const dir = await tempDir('collab-bench-');
    return { env: { STORAGE: 'sqlite', SQLITE_PATH: `${dir.path}/bench.sqlite` }, stop: () => dir.remove() };
  }
  const dynamo = await startDynamoDbLocal();
  return { env: dynamoDbServerEnv(dynamo.endpoint), stop: () => dynamo.stop() };
}

async function main() {
  const redis = await startRedis();
  const storage = await startStorage();
  const rows: { setup: string; phase: string; result: PhaseResult }[] = [];
  try {
    for (const count of instanceCounts) {
      const instances: ServerProcess[] = [];
      try {
        for (let i = 0; i < count; i++) {
          // One instance runs as a single instance (no Redis), as deployed without REDIS_URL.
          const env = { ...storage.env, LOG_LEVEL: 'info', ...(count > 1 ? { REDIS_URL: redis.url } : {}) };
          instances.push(await startServer({ env }));
        }
        const setup = count === 1 ? '1 instance' : `${count} instances`;
        const paced = await runPhase(
          instances,
          `bench-multi-paced-${count}-${Date.now()}`,
          { kind: 'paced', rate: opsPerSecondPerEditor },
          pacedSeconds,
        );
        rows.push({ setup, phase: `${editorCount}×${opsPerSecondPerEditor} ops/s`, result: paced });
        const burst = await runPhase(
          instances,
          `bench-multi-burst-${count}-${Date.now()}`,
          { kind: 'burst' },
          burstSeconds,
        );
        rows.push({ setup, phase: 'saturated', result: burst });
      } finally {
        await Promise.all(instances.map((instance) => instance.stop()));
      }
    }
  } finally {
    await redis.stop();
    await storage.stop();
  }

  console.log(
    `\nOne hot document, ${editorCount} editors spread across the instances, storage ${storageKind}` +
      ` (commit = submit → answer; delivery = submit → arrival at every other editor; ms)\n`,
  );
  const header = [
    'setup',
    'load',
    'commit p50',
    'commit p99',
    'commit max',
    'delivery p50',
    'delivery p99',
    'ops/s',
    'refused',
  ];
  const table = rows.map(({ setup, phase, result }) => [
    setup,
    phase,
    fmt(result.commitP50),
    fmt(result.commitP99),
    fmt(result.commitMax),
    fmt(result.deliveryP50),
    fmt(result.deliveryP99),
    fmt(result.throughput, 0),
    result.refused.size === 0 ? '0' : [...result.refused].map(([tag, count]) => `${count} ${tag}`).join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
