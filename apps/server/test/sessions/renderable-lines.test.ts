import { Delta } from '@collab/ot';
import type { CommittedOp } from '@collab/protocol';
import { Effect } from 'effect';
import { describe, expect, it } from 'vitest';
import { DocumentSession } from '../../src/sessions/DocumentSession.js';
import { StorageFailure, type StoredOp } from '../../src/storage/DocumentStore.js';
import { openSession, request, run, sessionDeps, sessionSuite } from './support.js';

const suite = sessionSuite();

/** A fresh document holding `text`, open in a session disposed after the suite. */
function open(text: string) {
  const opened = openSession(suite.store, suite.nextId('lines'), text);
  suite.keep(opened.session);
  return opened;
}

/** A document "Title\nbody\n" whose first line two people format at once, from version 0. */
async function formatTitleTwice(session: DocumentSession) {
  await run(session.submit(request('amy.tab1', 1, 0, new Delta().retain(5).retain(1, { list: 'ordered' }))));
  return run(session.submit(request('bob.tab1', 1, 0, new Delta().retain(5).retain(1, { header: 2 }))));
}

describe('[C12] every line stays one the editor shows as stored', () => {
  it('[C12] a heading and a list set at once: the list is committed again as the next version, the heading removed', async () => {
    const { session, published } = open('Title\nbody\n');
    const version = await formatTitleTwice(session);
    expect(version).toBe(2);
    expect(session.version).toBe(3);
    expect(session.document.ops).toEqual([
      { insert: 'Title' },
      { insert: '\n', attributes: { list: 'ordered' } },
      { insert: 'body\n' },
    ]);
    const fix = published.at(-1) as CommittedOp;
    // In the name of the author whose change made the conflict, under an id of its own.
    expect(fix).toMatchObject({ version: 3, clientId: 'bob.line-fix', seq: 3 });
    expect(fix.delta.ops).toEqual([
      { retain: 5 },
      { retain: 1, attributes: { list: 'ordered', header: null } },
    ]);
    // Durable like any op: a session loaded from storage has it.
    const stored = await run(suite.store.readOps(session.id, 2));
    expect(stored.map((op) => [op.version, op.clientId])).toEqual([[3, 'bob.line-fix']]);
  });

  it('[C12] bold given to text that became code meanwhile is removed in the next version', async () => {
    const { session } = open('let x\n');
    await run(
      session.submit(request('amy', 1, 0, new Delta().retain(5).retain(1, { 'code-block': 'plain' }))),
    );
    await run(session.submit(request('bob', 1, 0, new Delta().retain(4).retain(1, { bold: true }))));
    expect(session.version).toBe(3);
    expect(session.document.ops).toEqual([
      { insert: 'let x' },
      { insert: '\n', attributes: { 'code-block': 'plain' } },
    ]);
  });

  it('[C12] an op that leaves every line renderable commits nothing more', async () => {
    const { session, published } = open('Title\n');
    await run(session.submit(request('amy', 1, 0, new Delta().retain(5).retain(1, { header: 1 }))));
    await run(session.submit(request('amy', 2, 1, new Delta().retain(2).retain(2, { bold: true }))));
    expect(published.map((op) => op.clientId)).toEqual(['amy', 'amy']);
  });

  it('[C12] when the fix cannot be stored the op is still committed and acknowledged, and the fix is logged', async () => {
    const docId = suite.nextId('lines');
    openSession(suite.store, docId, 'Title\nbody\n').session.dispose();
    const store = suite.store;
    const refusing = {
      ...store,
      appendOp: (op: StoredOp) =>
        op.clientId.endsWith('.line-fix')
          ? Effect.fail(
              new StorageFailure({ operation: 'appendOp', retryable: true, cause: new Error('busy') }),
            )
          : store.appendOp(op),
    };
    const snapshot = await run(store.loadSnapshot(docId));
    if (!snapshot) throw new Error(`${docId} was not created`);
    const session = suite.keep(new DocumentSession(sessionDeps(refusing), snapshot, []));
    expect(await formatTitleTwice(session)).toBe(2);
    expect(session.version).toBe(2);
  });

  describe('[C12] [S1] another instance takes the version the fix was to have', () => {
    /**
     * A session whose store lets `other` commit `otherOps` at the fix's version just before the fix is
     * written, as a second instance would; its first line is then made a list and a heading at once.
     */
    async function raceTheFix(otherOps: StoredOp['ops']) {
      const docId = suite.nextId('lines');
      openSession(suite.store, docId, 'Title\nbody\n').session.dispose();
      const store = suite.store;
      let raced = false;
      const racing = {
        ...store,
        appendOp: (op: StoredOp) => {
          if (!op.clientId.endsWith('.line-fix') || raced) return store.appendOp(op);
          raced = true;
          const other = { ...op, ops: otherOps, clientId: 'cy.other-instance', seq: 1 };
          return Effect.flatMap(store.appendOp(other), () => store.appendOp(op));
        },
      };
      const snapshot = await run(store.loadSnapshot(docId));
      if (!snapshot) throw new Error(`${docId} was not created`);
      const session = suite.keep(new DocumentSession(sessionDeps(racing), snapshot, []));
      expect(await formatTitleTwice(session)).toBe(2);
      const stored = await run(store.readOps(docId, 2));
      return { session, stored: stored.map((op) => ({ clientId: op.clientId, ops: op.ops })) };
    }

    it('[C12] the fix is worked out again on what the other instance wrote, and committed after it', async () => {
      // Cy added a line above it: the fix's positions move down by that line.
      const { session, stored } = await raceTheFix([{ insert: 'Intro\n' }]);
      expect(stored).toEqual([
        { clientId: 'cy.other-instance', ops: [{ insert: 'Intro\n' }] },
        {
          clientId: 'bob.line-fix',
          ops: [{ retain: 11 }, { retain: 1, attributes: { list: 'ordered', header: null } }],
        },
      ]);
      expect(session.document.ops).toEqual([
        { insert: 'Intro\nTitle' },
        { insert: '\n', attributes: { list: 'ordered' } },
        { insert: 'body\n' },
      ]);
    });

    it('[C12] when what the other instance wrote resolved the line already, nothing more is committed', async () => {
      const { session, stored } = await raceTheFix([
        { retain: 5 },
        { retain: 1, attributes: { header: null } },
      ]);
      expect(stored.map((op) => op.clientId)).toEqual(['cy.other-instance']);
      expect(session.version).toBe(3);
    });
  });
});
