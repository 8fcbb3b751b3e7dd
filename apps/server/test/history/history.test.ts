import { join } from 'node:path';
import { applyChange, Delta } from '@collab/ot';
import { Effect } from 'effect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { deleteMark, insertMark, markChanges } from '../../src/history/changes.js';
import { appendToSessions, type SessionSummary, sessionGapMs } from '../../src/history/sessions.js';
import { DocumentStore } from '../../src/storage/DocumentStore.js';
import { type TempDir, tempDir } from '../support/index.js';

let dir: TempDir;
let app: ReturnType<typeof makeApp>;
beforeAll(async () => {
  dir = await tempDir('collab-history-');
  app = makeApp(
    parseConfig({
      SQLITE_PATH: join(dir.path, 'history.sqlite'),
      SNAPSHOT_EVERY_OPS: '5',
      HISTORY_SNAPSHOT_EVERY_OPS: '10',
    }),
  );
  await app.services;
});
afterAll(async () => {
  await app?.runtime.dispose();
  await dir?.remove();
});

const run = <A, E>(effect: Effect.Effect<A, E>) =>
  app.runtime.runPromise(effect as Effect.Effect<A, E, never>);

describe('[H1] sessions', () => {
  const op = (version: number, clientId: string, minutes: number) => ({
    version,
    clientId,
    createdAt: minutes * 60_000,
  });

  it('[H1] ops close in time form one session with every author once; a pause starts the next', () => {
    const sessions: SessionSummary[] = [];
    appendToSessions(
      sessions,
      [
        op(1, 'ada.x1', 0),
        op(2, 'grace.y1', 1),
        op(3, 'ada.x2', 2),
        op(4, 'grace', 2 + sessionGapMs / 60_000 + 1),
      ],
      new Set(),
    );
    expect(sessions.map((s) => [s.fromVersion, s.toVersion, s.authorIds])).toEqual([
      [0, 3, ['ada', 'grace']],
      [3, 4, ['grace']],
    ]);
  });

  it('[H1] a named version ends its session, and a restore is an entry of its own', () => {
    const sessions: SessionSummary[] = [];
    appendToSessions(
      sessions,
      [op(1, 'ada', 0), op(2, 'ada', 0), op(3, 'ada', 0), op(4, 'ada.restore-1', 0), op(5, 'ada', 0)],
      new Set([2]),
    );
    expect(sessions.map((s) => [s.toVersion, s.restore])).toEqual([
      [2, false],
      [3, false],
      [4, true],
      [5, false],
    ]);
  });
});

describe('[H1] changes between two versions', () => {
  it('[H1] insertions and deletions are marked with their author; text added then removed is gone', () => {
    const base = new Delta().insert('Hello world\n');
    const marked = markChanges(base, [
      { delta: new Delta().retain(5).insert(' big'), authorId: 'ada' },
      { delta: new Delta().retain(9).delete(6), authorId: 'grace' },
      { delta: new Delta().retain(5).delete(1).insert('!'), authorId: 'ada' },
    ]);
    expect(marked.ops).toEqual([
      { insert: 'Hello' },
      { insert: '!big', attributes: { [insertMark]: 'ada' } },
      { insert: ' world', attributes: { [deleteMark]: 'grace' } },
      { insert: '\n' },
    ]);
  });
});

describe('[H1] history service on SQLite', () => {
  it('[H1] any version is rebuilt exactly from the kept snapshot before it, and restore commits one op', async () => {
    const { sessions, history, authors } = await app.services;
    const id = `history-${Date.now()}`;
    await run(sessions.create(id, { ops: [{ insert: 'start\n' }] }));
    const expected = [new Delta().insert('start\n')];
    for (let i = 1; i <= 47; i++) {
      const clientId = i % 2 ? 'ada.tab1' : 'grace.tab1';
      const delta = i % 7 === 0 ? new Delta().delete(2) : new Delta().insert(`${i} `);
      await run(sessions.submit(id, { clientId, seq: i, baseVersion: i - 1, delta }));
      expected.push(applyChange(expected.at(-1) as Delta, delta));
    }
    // Kept snapshots are written as snapshots pass multiples of 10 versions.
    const store = await app.runtime.runPromise(DocumentStore.use(Effect.succeed));
    await until(async () => ((await run(store.loadArchivedSnapshot(id, 47)))?.version ?? 0) >= 40);
    for (const version of [0, 1, 9, 10, 23, 40, 46, 47]) {
      expect((await run(history.documentAt(id, version))).ops).toEqual(expected[version]?.ops);
    }

    await run(authors.remember('ada.tab1', { name: 'Ada', color: '#d93025' }));
    const listed = await run(history.sessions(id));
    expect(listed.headVersion).toBe(47);
    expect(listed.sessions).toHaveLength(1);
    expect(listed.sessions[0]?.authors).toEqual([
      { authorId: 'ada', name: 'Ada', color: '#d93025' },
      { authorId: 'grace', name: 'Anonymous', color: '#80868b' },
    ]);

    const view = await run(history.at(id, 47, 40));
    expect(view.delta.ops).toEqual(expected[47]?.ops);
    expect(
      view.changes?.ops.some((op) => 'attributes' in op && op.attributes?.[insertMark] === 'grace'),
    ).toBe(true);

    const restored = await run(history.restore(id, 10, 'grace.tab2'));
    expect(restored).toBe(48);
    expect((await run(sessions.get(id))).delta.ops).toEqual(expected[10]?.ops);
    const after = await run(history.sessions(id));
    expect(after.sessions[0]).toMatchObject({ fromVersion: 47, toVersion: 48, restore: true });
    expect(after.sessions[0]?.authors.map((a) => a.authorId)).toEqual(['grace']);
  });

  it('[H1] a document written before snapshots were kept shows versions from its latest snapshot on', async () => {
    const { history } = await app.services;
    const store = await app.runtime.runPromise(DocumentStore.use(Effect.succeed));
    const id = `legacy-${Date.now()}`;
    // As the old system left it: a snapshot at version 7 and nothing kept for history.
    await run(store.saveSnapshot({ docId: id, version: 7, ops: [{ insert: 'old\n' }], updatedAt: 1 }));
    await run(
      store.appendOp({
        docId: id,
        version: 8,
        ops: [{ insert: 'new ' }],
        clientId: 'ada',
        seq: 1,
        createdAt: 2,
      }),
    );
    expect((await run(history.documentAt(id, 7))).ops).toEqual([{ insert: 'old\n' }]);
    expect((await run(history.documentAt(id, 8))).ops).toEqual([{ insert: 'new old\n' }]);
    const exit = await app.runtime.runPromiseExit(history.documentAt(id, 6));
    expect(JSON.stringify(exit)).toContain('older than the history kept');
  });

  it('[H1] a version ahead of the document is refused with InvalidInput', async () => {
    const { sessions, history } = await app.services;
    const id = `ahead-${Date.now()}`;
    await run(sessions.create(id, undefined));
    const exit = await app.runtime.runPromiseExit(history.at(id, 3));
    expect(JSON.stringify(exit)).toContain('InvalidInput');
  });

  it('[H1] an author whose name and colour did not change is not written again', async () => {
    const { authors } = await app.services;
    const store = await app.runtime.runPromise(DocumentStore.use(Effect.succeed));
    await run(authors.remember('lin.a', { name: 'Lin', color: '#188038' }));
    const [first] = await run(store.loadAuthors(['lin']));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await run(authors.remember('lin.b', { name: 'Lin', color: '#188038' }));
    expect((await run(store.loadAuthors(['lin'])))[0]?.updatedAt).toBe(first?.updatedAt);
    await run(authors.remember('lin.b', { name: 'Lin Y', color: '#188038' }));
    expect((await run(store.loadAuthors(['lin'])))[0]?.name).toBe('Lin Y');
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
