import { Worker } from 'node:worker_threads';
import type { Op } from '@collab/protocol';
import type { ExportedFile, ExportFormat } from './formats.js';
import type { EmbeddedImages } from './images.js';
import type { ExportRequest, ExportResponse } from './worker.js';

/**
 * Conversions run in one worker thread, one at a time: turning a multi-megabyte document into DOCX takes
 * seconds of CPU, which on the main thread would stall every document's edits [L1]. The worker starts on
 * the first export, does not keep the process alive, ends when idle and is started again when needed.
 */
let worker: Worker | undefined;
let nextId = 0;
/** The worker ends this long after its last conversion, giving its memory back [L5]. */
const workerIdleMs = 30_000;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
const pending = new Map<number, { resolve: (file: ExportedFile) => void; reject: (error: Error) => void }>();

// From the build the worker is `worker.js`; running from source (tsx) it is `worker.ts`, which the worker
// can only load after registering tsx in its own thread.
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);

function spawnWorker(): Worker {
  if (!fromSource) return new Worker(workerUrl);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function failAll(error: Error) {
  for (const { reject } of pending.values()) reject(error);
  pending.clear();
  worker = undefined;
}

function start(): Worker {
  const started = spawnWorker();
  started.unref();
  started.on('message', (response: ExportResponse) => {
    const waiting = pending.get(response.id);
    if (!waiting) return;
    pending.delete(response.id);
    if (pending.size === 0) {
      idleTimer = setTimeout(() => {
        if (pending.size > 0 || worker !== started) return;
        // Forgotten first, so that an export asked for meanwhile starts a new worker.
        worker = undefined;
        void started.terminate();
      }, workerIdleMs).unref();
    }
    if (response.ok) {
      waiting.resolve({
        body: Buffer.from(response.body),
        contentType: response.contentType,
        fileName: response.fileName,
      });
    } else {
      waiting.reject(new Error(`export failed: ${response.message}`));
    }
  });
  started.on('error', (error) => {
    if (worker === started) failAll(error);
  });
  started.on('exit', (code) => {
    if (worker === started) failAll(new Error(`the export worker exited with code ${code}`));
  });
  return started;
}

/** Conversions waiting or running: past the bound, more are refused until the worker catches up [L2]. */
const maxQueuedExports = 8;

export function exportQueueFull(): boolean {
  return pending.size >= maxQueuedExports;
}

/** The document as a file of `format`, converted off the main thread. */
export function convertInWorker(
  docId: string,
  ops: readonly Op[],
  format: ExportFormat,
  images: EmbeddedImages,
): Promise<ExportedFile> {
  clearTimeout(idleTimer);
  worker ??= start();
  const id = ++nextId;
  const request: ExportRequest = { id, docId, ops, format, images };
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker?.postMessage(request);
  });
}
