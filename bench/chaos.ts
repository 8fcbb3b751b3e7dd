/**
 * `npm run chaos` [S2] [C3] [C4]: CHAOS_CYCLES (default 100) cycles of SIGKILL at a random moment while
 * several clients type, then a restart on the same port; the clients reconnect and resend. Every few
 * cycles, and at the end, typing pauses and the run checks that every acknowledged edit is in the stored
 * document exactly once and that every client shows the server's document. On SQLite and on DynamoDB
 * Local (CHAOS_STORAGE=sqlite,dynamodb). Prints cycles, edits and losses; exits 1 on any loss.
 */
import { type ClientSession, createCollabClient, Delta } from '@collab/client';
import {
  dynamoDbServerEnv,
  freePort,
  type ServerProcess,
  startDynamoDbLocal,
  startServer,
  tempDir,
} from '@collab/server/testing';
import WebSocket from 'ws';
import { sleep } from './figures.js';

const cycles = Number(process.env.CHAOS_CYCLES ?? 100);
const storages = (process.env.CHAOS_STORAGE ?? 'sqlite,dynamodb').split(',');
const editorsPerDocument = 2;
const documentCount = 2;
const checkEvery = 10;

const between = (low: number, high: number) => low + Math.random() * (high - low);

/** One client typing unique tokens; `acknowledged` counts the tokens the server has confirmed. */
interface Typist {
  readonly name: string;
  readonly docId: string;
  readonly session: ClientSession;
  readonly close: () => void;
  readonly typed: string[];
  acknowledged: number;
}

async function openTypist(name: string, wsUrl: string, docId: string): Promise<Typist> {
  const client = createCollabClient({ url: wsUrl, WebSocket, retryDelayMs: () => 100 });
  const session = await client.openDocument(docId);
  const typist: Typist = { name, docId, session, close: () => client.close(), typed: [], acknowledged: 0 };
  // Nothing pending: every token typed so far is committed (the change stream acknowledged it [C2]).
  session.on('status', (status) => {
    if (status.pendingEdits === 0) typist.acknowledged = typist.typed.length;
  });
  return typist;
}

function typeOne(typist: Typist): void {
  const token = `<${typist.name}:${typist.typed.length}>`;
  // At either end of the text, so that no token is ever split by another.
  const at = Math.random() < 0.5 ? 0 : typist.session.contents.length() - 1;
  typist.typed.push(token);
  typist.session.apply(new Delta().retain(at).insert(token));
}

/** Every client types a token every 5–30 ms until the returned function is called. */
function startTyping(typists: readonly Typist[]): () => Promise<void> {
  let typing = true;
  const loop = (async () => {
    while (typing) {
      for (const typist of typists) typeOne(typist);
      await sleep(between(5, 30));
    }
  })();
  return async () => {
    typing = false;
    await loop;
  };
}

async function documentText(httpUrl: string, docId: string): Promise<{ version: number; text: string }> {
  const input = encodeURIComponent(JSON.stringify({ id: docId }));
  const answer = (await (await fetch(`${httpUrl}/trpc/documents.get?input=${input}`)).json()) as {
    result: { data: { version: number; delta: { ops: Array<{ insert?: unknown }> } } };
  };
  const { version, delta } = answer.result.data;
  return { version, text: delta.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('') };
}

/** Waits for every client to have sent everything and to show the server's document; counts what is missing. */
async function check(server: ServerProcess, typists: readonly Typist[]) {
  const deadline = Date.now() + 60_000;
  while (typists.some((t) => t.session.status.pendingEdits > 0)) {
    if (Date.now() > deadline) throw new Error('edits still pending a minute after typing stopped');
    await sleep(20);
  }
  let lost = 0;
  let duplicated = 0;
  let diverged = 0;
  for (let d = 0; d < documentCount; d++) {
    const docId = typists[d * editorsPerDocument]?.docId as string;
    let stored = await documentText(server.httpUrl, docId);
    const onDoc = typists.filter((t) => t.docId === docId);
    const until = Date.now() + 30_000;
    while (onDoc.some((t) => t.session.version !== stored.version) && Date.now() < until) {
      await sleep(50);
      stored = await documentText(server.httpUrl, docId);
    }
    for (const typist of onDoc) {
      const shown = typist.session.contents.ops
        .map((op) => (typeof op.insert === 'string' ? op.insert : ''))
        .join('');
      if (shown !== stored.text) diverged++;
      typist.typed.forEach((token, i) => {
        const count = stored.text.split(token).length - 1;
        if (i < typist.acknowledged && count === 0) lost++;
        if (count > 1) duplicated++;
      });
    }
  }
  return { lost, duplicated, diverged };
}

async function run(storage: string) {
  const dir = await tempDir('collab-chaos-');
  const dynamo = storage === 'dynamodb' ? await startDynamoDbLocal() : undefined;
  const env = dynamo
    ? dynamoDbServerEnv(dynamo.endpoint)
    : { STORAGE: 'sqlite', SQLITE_PATH: `${dir.path}/chaos.sqlite` };
  const port = await freePort();
  let server = await startServer({ env: { ...env, MAX_OPS_PER_SECOND: '10000' }, port });
  const typists: Typist[] = [];
  const totals = { lost: 0, duplicated: 0, diverged: 0, checks: 0 };
  try {
    const runId = Date.now();
    for (let d = 0; d < documentCount; d++) {
      for (let e = 0; e < editorsPerDocument; e++) {
        typists.push(await openTypist(`${d}${e}`, server.wsUrl, `chaos-${storage}-${runId}-${d}`));
      }
    }
    let stopTyping = startTyping(typists);
    const started = Date.now();
    for (let cycle = 1; cycle <= cycles; cycle++) {
      await sleep(between(100, 1200));
      await server.stop('SIGKILL');
      server = await startServer({ env: { ...env, MAX_OPS_PER_SECOND: '10000' }, port });
      if (cycle % checkEvery !== 0 && cycle !== cycles) continue;
      await stopTyping();
      const result = await check(server, typists);
      totals.lost += result.lost;
      totals.duplicated += result.duplicated;
      totals.diverged += result.diverged;
      totals.checks++;
      const typed = typists.reduce((sum, t) => sum + t.typed.length, 0);
      const acknowledged = typists.reduce((sum, t) => sum + t.acknowledged, 0);
      console.log(
        `  ${storage} cycle ${String(cycle).padStart(3)}: ${typed} edits typed, ${acknowledged} acknowledged; ` +
          `lost ${result.lost}, duplicated ${result.duplicated}, clients diverged ${result.diverged} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
      );
      if (cycle < cycles) stopTyping = startTyping(typists);
    }
    const typed = typists.reduce((sum, t) => sum + t.typed.length, 0);
    const acknowledged = typists.reduce((sum, t) => sum + t.acknowledged, 0);
    return { storage, cycles, typed, acknowledged, ...totals };
  } finally {
    for (const typist of typists) typist.close();
    await server.stop();
    await dynamo?.stop();
    await dir.remove();
  }
}

async function main() {
  console.log(
    `Chaos: ${cycles} SIGKILL cycles under ${documentCount * editorsPerDocument} typing clients (node ${process.version})`,
  );
  const results = [];
  for (const storage of storages) results.push(await run(storage));
  console.log('\n  storage    cycles   edits typed   acknowledged   lost   duplicated   diverged');
  for (const r of results) {
    console.log(
      `  ${r.storage.padEnd(9)} ${String(r.cycles).padStart(7)} ${String(r.typed).padStart(13)} ${String(r.acknowledged).padStart(14)} ${String(r.lost).padStart(6)} ${String(r.duplicated).padStart(12)} ${String(r.diverged).padStart(10)}`,
    );
  }
  if (results.some((r) => r.lost > 0 || r.duplicated > 0 || r.diverged > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
