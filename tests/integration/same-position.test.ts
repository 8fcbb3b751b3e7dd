import { type ClientSession, type CollabClient, createCollabClient, Delta } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deltaText, seededRandom, sleep, waitFor } from '../support/editing.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';

/*
 * Two people typing at the same place at the same time, over real sockets to a real server. Each
 * typist moves its caret as Quill moves the local selection: past its own insert, and through a
 * remote change with `transformPosition(caret, true)` (source 'api': a remote insert at exactly the
 * caret lands after it). Every keystroke then ties with the other person's concurrent keystrokes at
 * the same index; ties go by a fixed order of the authors [C1], so each person's text stays whole.
 */

let server: SqliteServer;

beforeAll(async () => {
  server = await startSqliteServer();
});

afterAll(async () => {
  await server?.stopAndRemove();
});

interface Typist {
  readonly client: CollabClient;
  readonly session: ClientSession;
  readonly run: string;
  caret: number;
  resets: number;
  /** Remote changes that arrived while own keystrokes were still unacknowledged (concurrent typing). */
  concurrent: number;
}

async function openTypist(docId: string, run: string): Promise<Typist> {
  const client = createCollabClient({ url: server.wsUrl, WebSocket, retryDelayMs: () => 50 });
  const session = await client.openDocument(docId, { create: false });
  // At the end of the document, before its final newline.
  const typist: Typist = {
    client,
    session,
    run,
    caret: session.contents.length() - 1,
    resets: 0,
    concurrent: 0,
  };
  session.on('change', (delta) => {
    if (session.status.pendingEdits > 0) typist.concurrent++;
    typist.caret = delta.transformPosition(typist.caret, true);
  });
  session.on('reset', () => {
    typist.resets++;
  });
  return typist;
}

/** Types the run one character at a time at the caret, with a short random pause after each. */
async function type(typist: Typist, random: () => number): Promise<void> {
  for (const char of typist.run) {
    typist.session.apply(new Delta().retain(typist.caret).insert(char));
    typist.caret += 1;
    await sleep(Math.floor(random() * 12));
  }
}

describe('two people typing at the same position', () => {
  it('[C1] [C5] both type 30 characters at the end of the document at once: each run stays contiguous', async () => {
    const docId = 'same-position-end';
    const initial = 'Shared notes.\n';
    const setup = createCollabClient({ url: server.wsUrl, WebSocket });
    const typists: Typist[] = [];
    try {
      await setup.api.documents.create.mutate({ id: docId, delta: { ops: [{ insert: initial }] } });
      typists.push(await openTypist(docId, 'abcdefghijklmnopqrstuvwxyz0123'));
      typists.push(await openTypist(docId, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ4567'));
      expect(typists.map((t) => t.run.length)).toEqual([30, 30]);

      await Promise.all(typists.map((t, i) => type(t, seededRandom(20260314 + i))));

      await waitFor(
        () => typists.every((t) => t.session.status.pendingEdits === 0),
        'every keystroke acknowledged',
      );
      const stored = await setup.api.documents.get.query({ id: docId });
      await waitFor(
        () => typists.every((t) => t.session.version === stored.version),
        `both typists at version ${stored.version}`,
      );

      const text = deltaText(stored.delta);
      for (const t of typists) {
        expect(
          t.concurrent,
          `${t.client.clientId} typed while the other's keystrokes came in`,
        ).toBeGreaterThan(5);
        expect(t.resets, t.client.clientId).toBe(0);
        expect(t.session.contents.ops, t.client.clientId).toEqual(stored.delta.ops);
        expect(text, `${t.client.clientId}'s run is contiguous`).toContain(t.run);
        expect(t.caret, `${t.client.clientId}'s caret is right after its run`).toBe(
          text.indexOf(t.run) + t.run.length,
        );
      }
      let rest = text;
      for (const t of typists) rest = rest.replace(t.run, '');
      expect(rest).toBe(initial);
    } finally {
      for (const t of typists) t.client.close();
      setup.close();
    }
  });
});
