import { describe, expect, it } from 'vitest';
import { ExportWorker } from '../../src/export/exportWorker.js';

const document = [{ insert: 'Notes\n' }];

async function until(condition: () => boolean, what: string) {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('[L5] the export thread', () => {
  it('[L5] ends once idle, giving its memory back, and starts again for the next export', async () => {
    const worker = new ExportWorker({ idleMs: 50, maxQueued: 8 });
    expect(worker.threads).toBe(0);
    const first = await worker.convert('notes', document, 'txt', new Map());
    expect(first.body.toString()).toBe('Notes\n');
    expect(worker.threads).toBe(1);
    await until(() => worker.threads === 0, 'the idle thread to end');
    const second = await worker.convert('notes', document, 'md', new Map());
    expect(second.body.toString()).toContain('Notes');
    expect(worker.threads).toBe(1);
    await until(() => worker.threads === 0, 'the idle thread to end again');
  });

  it('[L5] [L2] does not end while conversions are queued, and refuses more past its bound', async () => {
    const worker = new ExportWorker({ idleMs: 1, maxQueued: 3 });
    const big = [{ insert: `${'word '.repeat(200_000)}\n` }];
    const queued = [1, 2, 3].map(() => worker.convert('big', big, 'docx', new Map()));
    expect(worker.queueFull()).toBe(true);
    const files = await Promise.all(queued);
    expect(files.every((file) => file.body.byteLength > 0)).toBe(true);
    expect(worker.queueFull()).toBe(false);
    await until(() => worker.threads === 0, 'the idle thread to end');
  });
});
