/**
 * History and export figures [H1][H2] on the real server: a document with 50,000 ops in 100 editing
 * sessions by three authors (written through the storage adapter the way the server lays them out:
 * a kept snapshot every 500 versions), then the time to list its sessions, to show a version from the
 * middle of its history, and to export a 1 MB document in each format. Prints numbers, asserts nothing.
 */
import { join } from 'node:path';
import { Delta } from '@collab/client';
import { applyChange } from '@collab/ot';
import type { AppRouter } from '@collab/server/router';
import { SqliteStore, type StoredOp } from '@collab/server/storage';
import { startServer, tempDir } from '@collab/server/testing';
import { createTRPCClient, httpLink } from '@trpc/client';
import { Effect, Layer } from 'effect';
import { fmt } from './figures.js';

const totalOps = 50_000;
const opsPerSession = 500;
const keepEvery = 500;
const authors = ['ada', 'grace', 'lin'];
/** quill-delta's ops, as the storage adapter types them. */
const opsOf = (delta: Delta) => delta.ops as StoredOp['ops'];

async function time<A>(run: () => Promise<A>): Promise<[A, number]> {
  const start = performance.now();
  const value = await run();
  return [value, performance.now() - start];
}

const dir = await tempDir('collab-bench-history-');
const path = join(dir.path, 'history.sqlite');
const docId = 'long-history';

// Write the op log through the adapter, as the server would have.
await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* SqliteStore.make({ path });
      const start = Date.UTC(2026, 0, 1);
      let document = new Delta().insert('\n');
      yield* store.createDocument({ docId, version: 0, ops: opsOf(document), updatedAt: start });
      let seed = 42;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      for (let version = 1; version <= totalOps; version++) {
        const session = Math.floor((version - 1) / opsPerSession);
        const createdAt = start + session * 3_600_000 + (version % opsPerSession) * 1_000;
        const length = document.length();
        const at = random(length);
        const change =
          version % 10 === 0 && length > 10
            ? new Delta().retain(Math.min(at, length - 3)).delete(2)
            : new Delta().retain(at).insert(`w${version} `);
        document = applyChange(document, change);
        const clientId = `${authors[session % authors.length]}.tab${session}`;
        yield* store.appendOp({ docId, version, ops: opsOf(change), clientId, seq: version, createdAt });
        if (version % keepEvery === 0) {
          yield* store.archiveSnapshot({ docId, version, ops: opsOf(document), updatedAt: createdAt });
        }
      }
      yield* store.saveSnapshot({ docId, version: totalOps, ops: opsOf(document), updatedAt: Date.now() });
    }),
  ).pipe(Effect.provide(Layer.empty)),
);

const server = await startServer({ env: { STORAGE: 'sqlite', SQLITE_PATH: path, SERVE_WEB: 'false' } });
const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${server.httpUrl}/trpc` })] });
try {
  const [listed, coldMs] = await time(() => api.history.sessions.query({ id: docId }));
  const [, warmMs] = await time(() => api.history.sessions.query({ id: docId }));
  const middle = listed.sessions.find((s) => s.fromVersion < totalOps / 2 && s.toVersion >= totalOps / 2);
  if (!middle) throw new Error('no session holds the middle version');
  const [view, atMs] = await time(() =>
    api.history.at.query({ id: docId, version: middle.toVersion, sinceVersion: middle.fromVersion }),
  );
  const [, plainAtMs] = await time(() => api.history.at.query({ id: docId, version: totalOps / 2 + 123 }));
  console.log(`history of ${totalOps} ops: ${listed.sessions.length} sessions`);
  console.log(`  open history (history.sessions): first ${fmt(coldMs)} ms, again ${fmt(warmMs)} ms`);
  console.log(
    `  show version ${middle.toVersion} with its session's ${middle.opCount} changes marked (history.at): ${fmt(atMs)} ms (${JSON.stringify(view).length} bytes)`,
  );
  console.log(`  show version ${totalOps / 2 + 123} without marks: ${fmt(plainAtMs)} ms`);

  // A 1 MB document: paragraphs with headings, lists and inline formats.
  const ops: Delta['ops'] = [];
  let bytes = 0;
  for (let n = 0; bytes < 1024 * 1024; n++) {
    const line = `Paragraph ${n}: some text that is bold here and a link there, then more words to fill the line.`;
    ops.push({ insert: line.slice(0, 20) }, { insert: line.slice(20, 40), attributes: { bold: true } });
    ops.push({ insert: line.slice(40), attributes: { link: 'https://example.com/' } });
    ops.push({
      insert: '\n',
      attributes: n % 10 === 0 ? { header: 2 } : n % 3 === 0 ? { list: 'bullet' } : {},
    });
    bytes += line.length + 1;
  }
  const big = 'one-megabyte';
  await api.documents.create.mutate({ id: big, delta: { ops: ops as never } });
  console.log(
    `export of a ${fmt(JSON.stringify(ops).length / 1024 / 1024, 2)} MB document (GET /api/documents/{id}/export):`,
  );
  for (const format of ['html', 'md', 'txt', 'docx']) {
    const [size, ms] = await time(async () => {
      const response = await fetch(`${server.httpUrl}/api/documents/${big}/export?format=${format}`);
      return (await response.arrayBuffer()).byteLength;
    });
    console.log(`  ${format}: ${fmt(ms)} ms, ${fmt(size / 1024, 0)} KB`);
  }
  // The conversion runs off the main thread: other requests are answered while a DOCX is being built.
  const exporting = fetch(`${server.httpUrl}/api/documents/${big}/export?format=docx`).then((r) =>
    r.arrayBuffer(),
  );
  const answers: number[] = [];
  let done = false;
  void exporting.then(() => {
    done = true;
  });
  while (!done) {
    const [, ms] = await time(() => api.documents.get.query({ id: docId }));
    answers.push(ms);
  }
  console.log(
    `  while a DOCX export runs: ${answers.length} documents.get answered, slowest ${fmt(Math.max(...answers))} ms`,
  );
} finally {
  await server.stop();
  await dir.remove();
}
