import { join } from 'node:path';
import { Delta } from '@collab/ot';
import { Effect, Layer, ManagedRuntime } from 'effect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broadcast } from '../src/broadcast/Broadcast.js';
import { Config, parseConfig } from '../src/config.js';
import { Images } from '../src/images/Images.js';
import { DocumentSessions } from '../src/sessions/DocumentSessions.js';
import { DocumentStore } from '../src/storage/DocumentStore.js';
import * as SqliteStore from '../src/storage/sqlite/SqliteStore.js';
import { type TempDir, tempDir } from './support/index.js';

/** Every `readOps` range the sessions ask storage for, recorded around the real SQLite store. */
interface ReadRange {
  readonly after: number;
  readonly to: number | undefined;
  readonly returned: number;
}

let dir: TempDir;
beforeAll(async () => {
  dir = await tempDir('collab-catchup-');
});
afterAll(async () => {
  await dir?.remove();
});

async function open(window: number) {
  const config = parseConfig({
    SQLITE_PATH: join(dir.path, `catchup-${window}.sqlite`),
    RECENT_OPS_WINDOW: String(window),
    SNAPSHOT_EVERY_OPS: '1000000',
    SNAPSHOT_INTERVAL_MS: '3600000',
  });
  if (config.storage.kind !== 'sqlite') throw new Error('expected SQLite storage');
  const reads: ReadRange[] = [];
  const recordingStore = Layer.effect(
    DocumentStore,
    Effect.gen(function* () {
      const store = yield* DocumentStore;
      return DocumentStore.of({
        ...store,
        readOps: (docId, after, to, limit) =>
          store
            .readOps(docId, after, to, limit)
            .pipe(Effect.tap((ops) => Effect.sync(() => reads.push({ after, to, returned: ops.length })))),
      });
    }),
  ).pipe(Layer.provide(SqliteStore.layer({ path: config.storage.path })));
  const runtime = ManagedRuntime.make(
    DocumentSessions.layer.pipe(
      Layer.provideMerge(Images.layer),
      Layer.provideMerge(Layer.mergeAll(recordingStore, Broadcast.single)),
      Layer.provideMerge(Layer.succeed(Config, config)),
    ),
  );
  const sessions = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* DocumentSessions;
    }),
  );
  const run = <A, E>(effect: Effect.Effect<A, E>) => runtime.runPromise(effect);
  return { sessions, run, reads, dispose: () => runtime.dispose() };
}

describe('[P2] per-op work does not grow with history', () => {
  it('[P2] commits on a long history read nothing from storage, and catch-up reads only the ops missed', async () => {
    const window = 50;
    const { sessions, run, reads, dispose } = await open(window);
    try {
      await run(sessions.create('long', undefined));
      const history = 600;
      for (let seq = 0; seq < history; seq++) {
        await run(
          sessions.submit('long', {
            clientId: 'writer',
            seq,
            baseVersion: seq,
            delta: new Delta().insert('x'),
          }),
        );
      }
      reads.length = 0;

      // A client a few versions behind: rebased over what is in memory, storage untouched.
      await run(
        sessions.submit('long', {
          clientId: 'typist',
          seq: 0,
          baseVersion: history - 3,
          delta: new Delta().insert('y'),
        }),
      );
      expect(reads).toEqual([]);

      // A client that missed ops beyond the in-memory window reads exactly those, no older ones.
      const head = history + 1;
      const missedFrom = head - 200;
      const ops = await run(
        sessions.withSession('long', (session) => session.opsBetween(missedFrom, session.version, 500)),
      );
      expect(ops.map((op) => op.version)).toEqual(Array.from({ length: 200 }, (_, i) => missedFrom + 1 + i));
      expect(reads).toEqual([{ after: missedFrom, to: head, returned: 200 }]);

      // A late resubmission from an old base reads the ops since that base only (to find itself [C3]).
      reads.length = 0;
      const again = await run(
        sessions.submit('long', {
          clientId: 'writer',
          seq: 100,
          baseVersion: 100,
          delta: new Delta().insert('x'),
        }),
      );
      expect(again).toBe(101);
      expect(reads.every((read) => read.after >= 100)).toBe(true);
    } finally {
      await dispose();
    }
  });
});
