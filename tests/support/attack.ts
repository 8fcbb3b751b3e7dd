import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type CollabClient, CollabError, createCollabClient, Delta } from '@collab/client';
import WebSocket from 'ws';
import { deltaText, sleep, waitFor } from './editing.js';

/** `/healthz` asked every `everyMs` while an attack runs: how many answered, and how long they took. */
export interface HealthProbe {
  /** Stops probing and reports (latencies in ms, for printing: tests assert only that every probe answered). */
  stop(): Promise<{ probes: number; failures: number; p99Ms: number; maxMs: number }>;
}

/**
 * Probes run in a child process of their own, so that what they measure is the server's answer time, not
 * the test process's own event loop (busy driving the attack).
 */
const probeScript = `
const http = require('node:http');
const [url, everyMs] = process.argv.slice(1);
let running = true;
process.on('SIGTERM', () => { running = false; });
// A new connection per probe (no keep-alive), as a monitor from outside would make.
const probe = () => new Promise((resolve) => {
  const request = http.get(url, { agent: false, timeout: 30000 }, (response) => {
    response.resume();
    response.on('end', () => resolve(response.statusCode === 200));
  });
  request.on('timeout', () => request.destroy());
  request.on('error', () => resolve(false));
});
(async () => {
  await probe(); // warm-up: the probe process's own first request is slow, not the server
  while (running) {
    const started = performance.now();
    const ok = await probe();
    process.stdout.write(ok ? (performance.now() - started).toFixed(2) + '\\n' : 'failed\\n');
    await new Promise((resolve) => setTimeout(resolve, Number(everyMs)));
  }
})();
`;

export function probeHealth(httpUrl: string, everyMs = 50): HealthProbe {
  const child = spawn(process.execPath, ['-e', probeScript, `${httpUrl}/healthz`, String(everyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      const lines = output.split('\n').filter((line) => line !== '');
      const failures = lines.filter((line) => line === 'failed').length;
      const sorted = lines
        .filter((line) => line !== 'failed')
        .map(Number)
        .sort((a, b) => a - b);
      const p99Ms = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
      return { probes: lines.length, failures, p99Ms, maxMs: sorted.at(-1) ?? 0 };
    },
  };
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Samples a process's RSS every 100 ms until stopped; reports the peak. */
export function watchRss(pid: number) {
  const start = rssMiB(pid);
  let peak = start;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // the process ended; the test says so elsewhere
    }
  }, 100);
  return {
    start,
    stop(): { start: number; peak: number; growth: number } {
      clearInterval(timer);
      return { start, peak, growth: peak - start };
    },
  };
}

/**
 * An honest editor typing `edits` short insertions at its own pace while an attack runs; resolves once
 * every edit is committed, with each edit's time from typing to acknowledgement.
 */
export async function honestEditing(wsUrl: string, docId: string, edits = 20, everyMs = 50) {
  const client = createCollabClient({ url: wsUrl, WebSocket, retryDelayMs: () => 100 });
  try {
    const session = await openWithRetries(client, docId);
    const latencies: number[] = [];
    const marker = `honest-${Math.random().toString(36).slice(2, 8)}`;
    for (let i = 0; i < edits; i++) {
      const started = performance.now();
      session.apply(new Delta().insert(`${marker}:${i};`));
      await waitFor(() => session.status.pendingEdits === 0, 'the honest edit to be acknowledged', 60_000);
      latencies.push(performance.now() - started);
      await sleep(everyMs);
    }
    const text = deltaText(session.contents);
    const missing = Array.from({ length: edits }, (_, i) => `${marker}:${i};`).filter(
      (t) => !text.includes(t),
    );
    session.close();
    return { latencies, missing };
  } finally {
    client.close();
  }
}

/**
 * Opens the document, trying again after a dropped connection as the web editor does: under a flood on
 * a busy machine the first opening can lose its socket.
 */
async function openWithRetries(client: CollabClient, docId: string, attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.openDocument(docId);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof CollabError) || error.tag !== 'Disconnected') throw error;
      await sleep(200);
    }
  }
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

/** A raw WebSocket speaking tRPC's wire format, for requests the typed client would never send. */
export async function rawSocket(wsUrl: string) {
  const socket = new WebSocket(wsUrl);
  const messages: Array<{
    id?: number;
    result?: unknown;
    error?: { data?: { tag?: string; httpStatus?: number }; message?: string };
  }> = [];
  let closed = false;
  socket.on('message', (data) => {
    const text = String(data);
    if (text === 'PING' || text === 'PONG') return;
    const parsed = JSON.parse(text) as unknown;
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) messages.push(message);
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    isClosed: () => closed,
    send: (payload: unknown) => socket.send(JSON.stringify(payload)),
    /** Stops reading from the TCP socket, like a client that never reads. */
    pause: () => (socket as unknown as { _socket: { pause(): void } })._socket.pause(),
    errorsTagged: (tag: string) => messages.filter((m) => m.error?.data?.tag === tag).length,
    close: () => socket.terminate(),
  };
}
