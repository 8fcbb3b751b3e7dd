/**
 * `npm run soak` [L5]: 100 clients connecting, editing, idling and leaving across many documents against a
 * real server process, for SOAK_MINUTES (default 10). Prints the server's RSS and heap every minute, and
 * fails (exit 1) if RSS grows by more than 10 % over the last third of the run. Not part of `npm test`.
 *
 *   SOAK_MINUTES=10 SOAK_CLIENTS=100 SOAK_DOCUMENTS=40 npm run soak
 */
import { type ClientSession, createCollabClient, Delta } from '@collab/client';
import { startServer, tempDir } from '@collab/server/testing';
import WebSocket from 'ws';
import { fmt, sleep } from './figures.js';
import { type LoadReport, loadReports } from './load.js';

const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const clients = Number(process.env.SOAK_CLIENTS ?? 100);
const documents = Number(process.env.SOAK_DOCUMENTS ?? 40);
const sampleMs = Number(process.env.SOAK_SAMPLE_MS ?? 60_000);
/** Largest growth of RSS over the last third of the run before the soak fails. */
const maxGrowth = 0.1;

const between = (low: number, high: number) => low + Math.random() * (high - low);

/** Keeps a document short: inserts a few characters, or deletes some once it is long. */
function randomEdit(session: ClientSession): Delta {
  const length = session.contents.length();
  const at = Math.floor(Math.random() * length);
  if (length > 3000) return new Delta().retain(Math.min(at, length - 41)).delete(40);
  return new Delta().retain(at).insert(
    Math.random()
      .toString(36)
      .slice(2, 2 + Math.ceil(Math.random() * 8)),
  );
}

let committedEdits = 0;
let connected = 0;

/** One person: connects, opens a document, types for a while, idles, leaves; again, until `deadline`. */
async function person(index: number, wsUrl: string, deadline: number) {
  await sleep(between(0, 5000));
  while (Date.now() < deadline) {
    const client = createCollabClient({ url: wsUrl, WebSocket });
    connected++;
    try {
      const session = await client.openDocument(`soak-${Math.floor(Math.random() * documents)}`);
      const user = { name: `person ${index}`, color: '#3366cc' };
      const typingUntil = Date.now() + between(5_000, 20_000);
      while (Date.now() < typingUntil && Date.now() < deadline) {
        session.apply(randomEdit(session));
        committedEdits++;
        const caret = Math.floor(Math.random() * session.contents.length());
        session.setPresence(user, { index: caret, length: 0 });
        await sleep(between(200, 800));
      }
      await sleep(between(2_000, 10_000));
      session.close();
    } catch (error) {
      console.error(`person ${index}:`, (error as Error).message);
    } finally {
      client.close();
      connected--;
    }
    await sleep(between(500, 2_000));
  }
}

function printSample(minute: string, report: LoadReport | undefined) {
  if (!report) return;
  console.log(
    `  ${minute.padStart(6)}  RSS ${fmt(report.rssMiB).padStart(7)} MiB   heap ${fmt(report.heapUsedMiB).padStart(6)} MiB   ` +
      `event loop p99 ${fmt(report.eventLoopP99Ms).padStart(6)} ms   clients ${String(connected).padStart(3)}   edits ${committedEdits}`,
  );
}

async function main() {
  const dir = await tempDir('collab-soak-');
  const server = await startServer({
    env: {
      SQLITE_PATH: `${dir.path}/soak.sqlite`,
      LOAD_REPORT_MS: String(sampleMs),
      IDLE_UNLOAD_MS: '10000',
    },
  });
  try {
    console.log(
      `Soak [L5]: ${clients} clients, ${documents} documents, ${minutes} min (node ${process.version}, SQLite)`,
    );
    const deadline = Date.now() + minutes * 60_000;
    const people = Array.from({ length: clients }, (_, i) => person(i, server.wsUrl, deadline));
    let printed = 0;
    const printer = setInterval(() => {
      const reports = loadReports(server.output());
      for (; printed < reports.length; printed++)
        printSample(`${fmt(((printed + 1) * sampleMs) / 60_000)}m`, reports[printed]);
    }, 1000);
    await Promise.all(people);
    clearInterval(printer);
    const during = loadReports(server.output());
    for (; printed < during.length; printed++)
      printSample(`${fmt(((printed + 1) * sampleMs) / 60_000)}m`, during[printed]);

    // After everyone left and idle documents unloaded, memory returns toward its baseline.
    await sleep(Math.max(15_000, sampleMs + 1000));
    const after = loadReports(server.output()).at(-1);
    printSample('after', after);

    const rss = during.map((report) => report.rssMiB);
    const third = rss.slice(Math.floor((rss.length * 2) / 3));
    const first = third[0] ?? 0;
    const last = third.at(-1) ?? 0;
    const growth = first > 0 ? (last - first) / first : 0;
    console.log(
      `  last third: RSS ${fmt(first)} → ${fmt(last)} MiB (${fmt(growth * 100)} %, limit ${maxGrowth * 100} %); ` +
        `peak ${fmt(Math.max(...rss))} MiB; edits ${committedEdits}`,
    );
    if (rss.length < 3) {
      console.error('  too few samples to judge; run longer or lower SOAK_SAMPLE_MS');
      process.exitCode = 1;
    } else if (growth > maxGrowth) {
      console.error('  FAIL: memory grew over the last third of the soak');
      process.exitCode = 1;
    } else {
      console.log('  OK: memory stayed flat');
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
