/** What the hostile benchmark, the soak and the chaos run share: the server's load reports and an honest editor. */
import { createCollabClient, Delta } from '@collab/client';
import WebSocket from 'ws';
import { sleep } from './figures.js';

/** One `load` line the server logs every LOAD_REPORT_MS (event loop delay, memory). */
export interface LoadReport {
  readonly eventLoopP99Ms: number;
  readonly eventLoopMaxMs: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

/** The load reports in a server's output from character `from` on. */
export function loadReports(output: string, from = 0): LoadReport[] {
  const reports: LoadReport[] = [];
  for (const line of output.slice(from).split('\n')) {
    if (!line.includes('"msg":"load"')) continue;
    try {
      reports.push(JSON.parse(line) as LoadReport);
    } catch {
      // a line cut by the end of the output read so far
    }
  }
  return reports;
}

/** The worst of a stretch of load reports: p99 and max event-loop delay, peak RSS. */
export function worstLoad(reports: readonly LoadReport[]) {
  return {
    lagP99Ms: Math.max(0, ...reports.map((r) => r.eventLoopP99Ms)),
    lagMaxMs: Math.max(0, ...reports.map((r) => r.eventLoopMaxMs)),
    peakRssMiB: Math.max(0, ...reports.map((r) => r.rssMiB)),
  };
}

/**
 * An honest editor typing `edits` short insertions, one every `everyMs`; resolves once every edit is
 * acknowledged, with each edit's time from typing to acknowledgement (ms) and the edits not in the
 * document at the end.
 */
export async function honestEditor(wsUrl: string, docId: string, edits: number, everyMs: number) {
  const client = createCollabClient({ url: wsUrl, WebSocket, retryDelayMs: () => 100 });
  try {
    const session = await client.openDocument(docId);
    const latencies: number[] = [];
    for (let i = 0; i < edits; i++) {
      const started = performance.now();
      session.apply(new Delta().insert(`honest-${i};`));
      while (session.status.pendingEdits > 0) await sleep(2);
      latencies.push(performance.now() - started);
      await sleep(everyMs);
    }
    session.close();
    return latencies;
  } finally {
    client.close();
  }
}
