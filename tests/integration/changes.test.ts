import type { CommittedOp } from '@collab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullHistory } from '../support/history.js';
import { startLink } from '../support/proxy.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';
import {
  type Api,
  type ChangesFeed,
  failureOf,
  feedFailure,
  followChanges,
  httpApi,
  wsApi,
} from '../support/trpc.js';

let server: SqliteServer;
let http: Api;
const sockets: Array<{ close(): void }> = [];

beforeAll(async () => {
  server = await startSqliteServer();
  http = httpApi(server.httpUrl);
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await server?.stopAndRemove();
});

function socket() {
  const client = wsApi(server.wsUrl);
  sockets.push(client);
  return client;
}

/** Commits `count` one-letter inserts at the start, one after the other, each on the head. */
async function commitInserts(api: Api, id: string, clientId: string, count: number, firstSeq = 1) {
  const versions: number[] = [];
  for (let i = 0; i < count; i++) {
    const { version } = await api.documents.get.query({ id });
    const result = await api.documents.submit.mutate({
      id,
      clientId,
      seq: firstSeq + i,
      baseVersion: version,
      delta: { ops: [{ insert: String.fromCharCode(97 + (i % 26)) }] },
    });
    versions.push(result.version);
  }
  return versions;
}

const versionsOf = (ops: readonly CommittedOp[]) => ops.map((op) => op.version);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Each event holds consecutive ops, and its tracked id is the version of its last op [C2]. */
function expectWellFormedEvents(feed: ChangesFeed) {
  for (const event of feed.events) {
    expect(event.ops.length).toBeGreaterThan(0);
    const versions = versionsOf(event.ops);
    expect(versions).toEqual(range(versions[0] as number, versions.at(-1) as number));
    expect(event.id).toBe(String(versions.at(-1)));
  }
}

describe('documents.changes', () => {
  it('[C2] a subscriber from sinceVersion 0 gets every existing op in order, then live ops, its own included, no gap and no duplicate', async () => {
    const id = 'changes-replay-live';
    await http.documents.create.mutate({ id });
    await commitInserts(http, id, 'anon.earlier', 5);

    const { api } = socket();
    const feed = followChanges(api, { id, sinceVersion: 0 });
    await feed.reach(5);
    expect(versionsOf(feed.ops())).toEqual(range(1, 5));

    // Live ops: some from another client, some from the subscriber's own connection.
    await commitInserts(http, id, 'anon.other', 3, 1);
    await commitInserts(api, id, 'anon.subscriber', 3, 1);
    await feed.reach(11);
    // Nothing more arrives after the head.
    const head = await http.documents.get.query({ id });
    expect(head.version).toBe(11);

    const ops = feed.ops();
    expect(versionsOf(ops)).toEqual(range(1, 11));
    expect(ops.filter((op) => op.clientId === 'anon.subscriber').map((op) => op.seq)).toEqual([1, 2, 3]);
    expect(ops).toEqual(await fullHistory(http, id));
    expectWellFormedEvents(feed);
    feed.unsubscribe();
  });

  it('[C2] events are tracked with id = String(version of the last op of the event)', async () => {
    const id = 'changes-tracked';
    await http.documents.create.mutate({ id });
    await commitInserts(http, id, 'anon.w', 4);
    const { api } = socket();
    const feed = followChanges(api, { id, sinceVersion: 1 });
    await feed.reach(4);
    await commitInserts(http, id, 'anon.w', 2, 5);
    await feed.reach(6);
    expect(feed.events.length).toBeGreaterThan(0);
    expect(feed.events.map((event) => event.id)).toEqual(
      feed.events.map((event) => String(event.ops.at(-1)?.version)),
    );
    expect(versionsOf(feed.ops())).toEqual(range(2, 6));
    feed.unsubscribe();
  });

  it('[C2] resuming with lastEventId = "N" delivers only ops after N (lastEventId wins over sinceVersion)', async () => {
    const id = 'changes-resume';
    await http.documents.create.mutate({ id });
    await commitInserts(http, id, 'anon.w', 8);
    const { api } = socket();
    const feed = followChanges(api, { id, sinceVersion: 0, lastEventId: '5' });
    await feed.reach(8);
    await commitInserts(http, id, 'anon.w', 1, 9);
    await feed.reach(9);
    expect(versionsOf(feed.ops())).toEqual([6, 7, 8, 9]);
    expectWellFormedEvents(feed);
    feed.unsubscribe();
  });

  it('[C2] a subscriber whose connection drops resumes from its last event: the ops it missed, once each', async () => {
    const id = 'changes-reconnect';
    await http.documents.create.mutate({ id });
    await commitInserts(http, id, 'anon.w', 3);
    const link = await startLink(server.port);
    const client = wsApi(`ws://127.0.0.1:${link.port}/trpc`);
    try {
      const feed = followChanges(client.api, { id, sinceVersion: 0 });
      await feed.reach(3);
      link.cut();
      await commitInserts(http, id, 'anon.w', 3, 4);
      link.restore();
      await feed.reach(6);
      await commitInserts(http, id, 'anon.w', 1, 7);
      await feed.reach(7);
      expect(versionsOf(feed.ops())).toEqual(range(1, 7));
      expect(feed.ops()).toEqual(await fullHistory(http, id));
      expectWellFormedEvents(feed);
      feed.unsubscribe();
    } finally {
      client.close();
      await link.close();
    }
  });

  it('[C2] sinceVersion or lastEventId above the head is refused with VersionAhead', async () => {
    const id = 'changes-ahead';
    await http.documents.create.mutate({ id });
    await commitInserts(http, id, 'anon.w', 2);
    const { api } = socket();
    for (const input of [
      { id, sinceVersion: 3 },
      { id, sinceVersion: 0, lastEventId: '99' },
    ]) {
      const feed = followChanges(api, input);
      const error = await feedFailure(feed);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.tag).toBe('VersionAhead');
      expect(error.message).toMatch(/ahead/);
      expect(feed.ops()).toEqual([]);
      feed.unsubscribe();
    }
    // Subscribing exactly at the head is fine: it waits for the next op.
    const atHead = followChanges(api, { id, sinceVersion: 2 });
    await atHead.started;
    await commitInserts(http, id, 'anon.w', 1, 3);
    await atHead.reach(3);
    expect(versionsOf(atHead.ops())).toEqual([3]);
    atHead.unsubscribe();
  });

  it('[C2] an unknown document is refused with NOT_FOUND', async () => {
    const { api } = socket();
    const error = await feedFailure(followChanges(api, { id: 'changes-nobody-made-this', sinceVersion: 0 }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.tag).toBe('DocumentNotFound');
  });

  it('[P1] 50 submits made in one turn reach a subscriber in fewer events than ops, each event holding consecutive ops', async () => {
    const id = 'changes-batched';
    await http.documents.create.mutate({ id });
    const watcher = socket();
    const feed = followChanges(watcher.api, { id, sinceVersion: 0 });
    await feed.started;
    const writer = socket();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        writer.api.documents.submit.mutate({
          id,
          clientId: 'anon.burst',
          seq: i + 1,
          baseVersion: 0,
          delta: { ops: [{ insert: `${i % 10}` }] },
        }),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(range(1, 50));
    await feed.reach(50);
    expect(versionsOf(feed.ops())).toEqual(range(1, 50));
    expect(feed.events.length).toBeLessThan(50);
    expectWellFormedEvents(feed);
    feed.unsubscribe();
  });

  it('[C2][C5] concurrent submitters on several connections: every subscriber sees the identical sequence', async () => {
    const id = 'changes-concurrent';
    await http.documents.create.mutate({ id, delta: { ops: [{ insert: 'ab\n' }] } });
    const subscribers = [socket(), socket(), socket()].map(({ api }) =>
      followChanges(api, { id, sinceVersion: 0 }),
    );
    await Promise.all(subscribers.map((feed) => feed.started));
    const writers = [socket(), socket(), socket(), socket()];
    const perWriter = 15;
    await Promise.all(
      writers.map(async ({ api }, w) => {
        // Each writer submits on the version its last op got, racing the others' ops made meanwhile.
        let base = 0;
        for (let seq = 1; seq <= perWriter; seq++) {
          const { version } = await api.documents.submit.mutate({
            id,
            clientId: `anon.writer-${w}`,
            seq,
            baseVersion: base,
            delta:
              seq % 2 === 0 ? { ops: [{ insert: `${w}` }] } : { ops: [{ retain: 1 }, { insert: `${w}` }] },
          });
          base = version;
        }
      }),
    );
    const total = writers.length * perWriter;
    await Promise.all(subscribers.map((feed) => feed.reach(total)));
    const history = await fullHistory(http, id);
    expect(versionsOf(history)).toEqual(range(1, total));
    for (const feed of subscribers) {
      expect(feed.ops()).toEqual(history);
      expectWellFormedEvents(feed);
      feed.unsubscribe();
    }
    // [C3] every (clientId, seq) committed exactly once.
    const ids = history.map((op) => `${op.clientId}/${op.seq}`);
    expect(new Set(ids).size).toBe(total);
  });
});

describe('documents.submit', () => {
  it('[C1] a baseVersion above the head is refused with VersionAhead and changes nothing', async () => {
    const id = 'submit-ahead';
    await http.documents.create.mutate({ id });
    await commitInserts(http, id, 'anon.w', 1);
    const error = await failureOf(
      http.documents.submit.mutate({
        id,
        clientId: 'anon.c',
        seq: 1,
        baseVersion: 2,
        delta: { ops: [{ insert: 'x' }] },
      }),
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.tag).toBe('VersionAhead');
    expect(error.message).toMatch(/baseVersion 2/);
    const doc = await http.documents.get.query({ id });
    expect(doc.version).toBe(1);
    expect(doc.delta.ops).toEqual([{ insert: 'a\n' }]);
  });

  it('[C1] concurrent inserts at the same index from base 0: the committed op wins the tie (its text first)', async () => {
    const id = 'submit-ties';
    await http.documents.create.mutate({ id, delta: { ops: [{ insert: 'xy\n' }] } });
    const first = await http.documents.submit.mutate({
      id,
      clientId: 'anon.first',
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ retain: 1 }, { insert: 'AAA' }] },
    });
    const second = await http.documents.submit.mutate({
      id,
      clientId: 'anon.second',
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ retain: 1 }, { insert: 'BBB' }] },
    });
    expect([first.version, second.version]).toEqual([1, 2]);
    const doc = await http.documents.get.query({ id });
    expect(doc.delta.ops).toEqual([{ insert: 'xAAABBBy\n' }]);
    // The second op was stored transformed: it applies at version 1.
    const [, stored] = await fullHistory(http, id);
    expect(stored?.delta.ops).toEqual([{ retain: 4 }, { insert: 'BBB' }]);
  });

  it('[C1] a delete concurrent with an insert inside the deleted range keeps the insert', async () => {
    const id = 'submit-delete-insert';
    await http.documents.create.mutate({ id, delta: { ops: [{ insert: 'abcdef\n' }] } });
    await http.documents.submit.mutate({
      id,
      clientId: 'anon.deleter',
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ retain: 1 }, { delete: 4 }] },
    });
    await http.documents.submit.mutate({
      id,
      clientId: 'anon.inserter',
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ retain: 3 }, { insert: 'X' }] },
    });
    const doc = await http.documents.get.query({ id });
    expect(doc.delta.ops).toEqual([{ insert: 'aXf\n' }]);
  });
});

describe('documents.history', () => {
  it('pages with limit and nextFromVersion, and stops at toVersion', async () => {
    const id = 'history-paging';
    await http.documents.create.mutate({ id });
    await commitInserts(http, id, 'anon.h', 12);

    const pages: number[][] = [];
    let from = 0;
    for (;;) {
      const page = await http.documents.history.query({ id, fromVersion: from, limit: 5 });
      expect(page.headVersion).toBe(12);
      pages.push(versionsOf(page.ops));
      if (page.nextFromVersion === null) break;
      expect(page.nextFromVersion).toBe(page.ops.at(-1)?.version);
      from = page.nextFromVersion;
    }
    expect(pages).toEqual([range(1, 5), range(6, 10), [11, 12]]);

    const bounded = await http.documents.history.query({ id, fromVersion: 3, toVersion: 7 });
    expect(versionsOf(bounded.ops)).toEqual([4, 5, 6, 7]);
    expect(bounded.nextFromVersion).toBeNull();

    const boundedPaged = await http.documents.history.query({ id, fromVersion: 3, toVersion: 7, limit: 3 });
    expect(versionsOf(boundedPaged.ops)).toEqual([4, 5, 6]);
    expect(boundedPaged.nextFromVersion).toBe(6);

    // toVersion above the head is capped at the head; fromVersion at the head gives nothing.
    expect(
      versionsOf((await http.documents.history.query({ id, fromVersion: 10, toVersion: 99 })).ops),
    ).toEqual([11, 12]);
    const empty = await http.documents.history.query({ id, fromVersion: 12 });
    expect(empty.ops).toEqual([]);
    expect(empty.nextFromVersion).toBeNull();

    // Every op replays to the stored document [D2].
    const ops = await fullHistory(http, id);
    expect(ops.map((op) => `${op.clientId}/${op.seq}`)).toEqual(range(1, 12).map((seq) => `anon.h/${seq}`));
  });

  it('answers NOT_FOUND for an unknown document', async () => {
    const error = await failureOf(http.documents.history.query({ id: 'history-unknown', fromVersion: 0 }));
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('document procedures', () => {
  it('documents.update replaces the contents and live subscribers see it as one op', async () => {
    const id = 'update-live';
    await http.documents.create.mutate({ id, delta: { ops: [{ insert: 'hello world\n' }] } });
    await commitInserts(http, id, 'anon.w', 1);
    const { api } = socket();
    const feed = followChanges(api, { id, sinceVersion: 1 });
    await feed.started;
    const replacement = { ops: [{ insert: 'Goodbye', attributes: { bold: true } }, { insert: ' world\n' }] };
    const result = await http.documents.update.mutate({ id, delta: replacement });
    expect(result).toEqual({ id, version: 2 });
    await feed.reach(2);
    expect(feed.ops()).toHaveLength(1);
    const doc = await http.documents.get.query({ id });
    expect(doc.delta.ops).toEqual(replacement.ops);
    expect(doc.version).toBe(2);
    feed.unsubscribe();
  });

  it('[D2] documents.update with the contents the document already has commits nothing', async () => {
    const id = 'update-unchanged';
    const contents = { ops: [{ insert: 'autosaved\n' }] };
    await http.documents.create.mutate({ id, delta: contents });
    // A client that saves its whole contents periodically (the seed's autosave through PUT) sends this.
    for (let i = 0; i < 3; i++)
      expect(await http.documents.update.mutate({ id, delta: contents })).toEqual({ id, version: 0 });
    expect(await fullHistory(http, id)).toEqual([]);
  });

  it('documents.update of an unknown document is NOT_FOUND and creates nothing', async () => {
    const id = 'update-unknown';
    const error = await failureOf(http.documents.update.mutate({ id, delta: { ops: [{ insert: 'x\n' }] } }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.tag).toBe('DocumentNotFound');
    expect((await failureOf(http.documents.get.query({ id }))).code).toBe('NOT_FOUND');
  });

  it('documents.create with an existing id is CONFLICT (DocumentExists) and keeps the existing document', async () => {
    const id = 'create-twice';
    const created = await http.documents.create.mutate({ id, delta: { ops: [{ insert: 'first\n' }] } });
    expect(created).toEqual({ id, version: 0, delta: { ops: [{ insert: 'first\n' }] } });
    const error = await failureOf(
      http.documents.create.mutate({ id, delta: { ops: [{ insert: 'second\n' }] } }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.tag).toBe('DocumentExists');
    expect(error.message).toContain(id);
    expect((await http.documents.get.query({ id })).delta.ops).toEqual([{ insert: 'first\n' }]);
  });

  it('[D1][D2] documents.create without an id or contents makes an empty document at version 0 with a fresh id', async () => {
    const created = await http.documents.create.mutate({});
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(created.version).toBe(0);
    expect(created.delta).toEqual({ ops: [{ insert: '\n' }] });
    expect(await http.documents.get.query({ id: created.id })).toEqual(created);
  });

  it('documents.get of an unknown document is NOT_FOUND (DocumentNotFound)', async () => {
    const error = await failureOf(http.documents.get.query({ id: 'get-unknown' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.tag).toBe('DocumentNotFound');
    expect(error.message).toContain('get-unknown');
  });

  it('documents.getOrCreate answers created true, then false with the same document', async () => {
    const id = 'get-or-create';
    const first = await http.documents.getOrCreate.mutate({ id });
    expect(first).toEqual({ id, version: 0, delta: { ops: [{ insert: '\n' }] }, created: true });
    await commitInserts(http, id, 'anon.g', 1);
    const second = await http.documents.getOrCreate.mutate({ id });
    expect(second).toEqual({ id, version: 1, delta: { ops: [{ insert: 'a\n' }] }, created: false });
  });

  it('documents.getOrCreate called many times at once creates the document once', async () => {
    const id = 'get-or-create-race';
    const { api } = socket();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? api : http).documents.getOrCreate.mutate({ id })),
    );
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    for (const a of answers) expect(a.version).toBe(0);
  });
});
