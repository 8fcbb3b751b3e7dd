import { Worker } from 'node:worker_threads';
import type { Op } from '@collab/protocol';
import type { ExportedFile, ExportFormat } from './formats.js';
import type { EmbeddedImages } from './images.js';
import type { ExportRequest, ExportResponse } from './worker.js';

// From the build the worker is `worker.js`; running from source (tsx) it is `worker.ts`, which the worker
// can only load after registering tsx in its own thread.
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);

function spawnWorker(): Worker {
  if (!fromSource) return new Worker(workerUrl);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export interface ExportWorkerOptions {
  /** The thread ends this long after its last conversion, giving its memory back [L5]. */
  readonly idleMs: number;
  /** Conversions waiting or running: past it, more are refused until the thread catches up [L2]. */
  readonly maxQueued: number;
}

/**
 * Conversions run in one worker thread, one at a time: turning a multi-megabyte document into DOCX takes
 * seconds of CPU, which on the main thread would stall every document's edits [L1]. The thread starts on
 * the first export, does not keep the process alive, ends when idle and is started again when needed.
 */
export class ExportWorker {
  readonly #options: ExportWorkerOptions;
  #worker: Worker | undefined;
  #threads = 0;
  #nextId = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #pending = new Map<
    number,
    { resolve: (file: ExportedFile) => void; reject: (error: Error) => void }
  >();

  constructor(options: ExportWorkerOptions) {
    this.#options = options;
  }

  /** Worker threads alive: 1 while converting or recently used, 0 once the thread has ended. */
  get threads(): number {
    return this.#threads;
  }

  queueFull(): boolean {
    return this.#pending.size >= this.#options.maxQueued;
  }

  /** The document as a file of `format`, converted off the main thread. */
  convert(
    docId: string,
    ops: readonly Op[],
    format: ExportFormat,
    images: EmbeddedImages,
  ): Promise<ExportedFile> {
    clearTimeout(this.#idleTimer);
    const worker = this.#worker ?? this.#start();
    const id = ++this.#nextId;
    const request: ExportRequest = { id, docId, ops, format, images };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  #start(): Worker {
    const started = spawnWorker();
    this.#worker = started;
    this.#threads++;
    started.unref();
    started.on('message', (response: ExportResponse) => this.#answer(started, response));
    started.on('error', (error) => {
      if (this.#worker === started) this.#failAll(error);
    });
    started.on('exit', (code) => {
      this.#threads--;
      if (this.#worker === started) this.#failAll(new Error(`the export worker exited with code ${code}`));
    });
    return started;
  }

  #answer(from: Worker, response: ExportResponse) {
    const waiting = this.#pending.get(response.id);
    if (!waiting) return;
    this.#pending.delete(response.id);
    if (this.#pending.size === 0) {
      this.#idleTimer = setTimeout(() => {
        if (this.#pending.size > 0 || this.#worker !== from) return;
        // Forgotten first, so that an export asked for meanwhile starts a new thread.
        this.#worker = undefined;
        void from.terminate();
      }, this.#options.idleMs).unref();
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
  }

  #failAll(error: Error) {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
    this.#worker = undefined;
  }
}

/** The process's export thread: ends 30 s after its last conversion; 8 conversions queued at most. */
export const exportWorker = new ExportWorker({ idleMs: 30_000, maxQueued: 8 });
