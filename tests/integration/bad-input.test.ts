import { createCollabClient, Delta } from '@collab/client';
import { errorCatalogue } from '@collab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sleep, waitFor } from '../support/editing.js';
import { fullHistory } from '../support/history.js';
import { type ServerProcess, type SqliteServer, startSqliteServer } from '../support/server.js';
import { openSqliteFile } from '../support/sqliteFile.js';
import {
  type Api,
  callError,
  failureOf,
  feedFailure,
  followChanges,
  httpApi,
  leakedInternals,
  type RawAnswer,
  rawError,
  rawMutation,
  rawQuery,
  wsApi,
} from '../support/trpc.js';

/**
 * Most cases run against one server with small size limits, so a payload can be over the document limit
 * and still under the message limit. Rate and connection limits get their own server: HTTP requests
 * from one address share one op budget, which would starve the other cases.
 */
const limits = {
  MAX_DOCUMENT_BYTES: '20000',
  MAX_MESSAGE_BYTES: '64000',
  /** Small, so a resubmitted op can fall out of the server's in-memory window [C3]. */
  RECENT_OPS_WINDOW: '4',
};

let server: SqliteServer;
let http: Api;
const closers: Array<() => void> = [];

beforeAll(async () => {
  server = await startSqliteServer(limits);
  http = httpApi(server.httpUrl);
});

afterAll(async () => {
  for (const close of closers) close();
  await server?.stopAndRemove();
});

function socketApi(url: string) {
  const client = wsApi(url);
  closers.push(client.close);
  return client.api;
}

/** The server still answers: health, and a read of a document. */
async function expectServerUp(target: ServerProcess, id: string) {
  const health = await fetch(`${target.httpUrl}/healthz`);
  expect(health.status).toBe(200);
  await httpApi(target.httpUrl).documents.get.query({ id });
}

/** A refused request: status, tRPC code, catalogue tag, and nothing internal anywhere in the body. */
function expectRefused(raw: RawAnswer, expected: { status: number; code: string; tag?: string }) {
  expect(leakedInternals(raw.text)).toEqual([]);
  expect(raw.status).toBe(expected.status);
  const error = rawError(raw);
  expect(error.code).toBe(expected.code);
  expect(error.httpStatus).toBe(expected.status);
  if (expected.tag) expect(error.tag).toBe(expected.tag);
  expect(error.data.stack).toBeUndefined();
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

let targetCounter = 0;

/** A fresh document `abc\n` with two committed ops on it (`xabcy\n` at version 2). */
async function makeTarget(api: Api = http): Promise<string> {
  const id = `target-${++targetCounter}`;
  await api.documents.create.mutate({ id, delta: { ops: [{ insert: 'abc\n' }] } });
  await api.documents.submit.mutate({
    id,
    clientId: 'anon.setup',
    seq: 1,
    baseVersion: 0,
    delta: { ops: [{ insert: 'x' }] },
  });
  await api.documents.submit.mutate({
    id,
    clientId: 'anon.setup',
    seq: 2,
    baseVersion: 1,
    delta: { ops: [{ retain: 4 }, { insert: 'y' }] },
  });
  return id;
}

/** `[[[…]]]` nested `depth` deep, as JSON text (too deep for the test's own JSON.stringify). */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** The document and its op log are exactly as `makeTarget` left them. */
async function expectUnchanged(id: string, api: Api = http) {
  const doc = await api.documents.get.query({ id });
  expect(doc.version).toBe(2);
  expect(doc.delta.ops).toEqual([{ insert: 'xabcy\n' }]);
  expect((await fullHistory(api, id)).map((op) => op.version)).toEqual([1, 2]);
}

const submitBody = (id: string, delta: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  clientId: 'anon.bad-client',
  seq: 1,
  baseVersion: 2,
  delta,
  ...extra,
});

interface BadDelta {
  readonly name: string;
  readonly delta: unknown;
  /** What a message naming the problem mentions. */
  readonly names: RegExp;
}

/** Deltas that are not deltas: refused by the schema, before the document is looked at. */
const malformedDeltas: BadDelta[] = [
  { name: 'not an object', delta: 'retain 3', names: /delta.*object/ },
  { name: 'null', delta: null, names: /delta.*object/ },
  { name: 'ops not an array', delta: { ops: { insert: 'x' } }, names: /ops.*array/ },
  { name: 'ops missing', delta: {}, names: /ops/ },
  { name: 'an extra key beside ops', delta: { ops: [], extra: 1 }, names: /extra/ },
  { name: 'an op that is not an object', delta: { ops: ['x'] }, names: /ops\.0/ },
  { name: 'an unknown op key beside insert', delta: { ops: [{ insert: 'x', foo: 1 }] }, names: /foo/ },
  {
    name: 'an op with only an unknown key',
    delta: { ops: [{ foo: 1 }] },
    names: /foo|insert, retain or delete/,
  },
  { name: 'an op with insert and retain', delta: { ops: [{ insert: 'x', retain: 1 }] }, names: /retain/ },
  { name: 'an empty insert', delta: { ops: [{ insert: '' }] }, names: /insert/ },
  { name: 'a numeric insert', delta: { ops: [{ insert: 5 }] }, names: /insert/ },
  { name: 'retain 0', delta: { ops: [{ retain: 0 }] }, names: /retain/ },
  { name: 'a negative retain', delta: { ops: [{ retain: -2 }] }, names: /retain/ },
  { name: 'a non-integer retain', delta: { ops: [{ retain: 1.5 }] }, names: /retain/ },
  { name: 'a string retain', delta: { ops: [{ retain: '1' }] }, names: /retain/ },
  { name: 'delete 0', delta: { ops: [{ delete: 0 }] }, names: /delete/ },
  { name: 'a non-integer delete', delta: { ops: [{ delete: 0.5 }] }, names: /delete/ },
  {
    name: 'an attribute holding an object',
    delta: { ops: [{ insert: 'x', attributes: { bold: { on: true } } }] },
    names: /attributes/,
  },
  {
    name: 'an attribute holding an array',
    delta: { ops: [{ insert: 'x', attributes: { color: ['#fff'] } }] },
    names: /attributes/,
  },
  {
    name: 'attributes that are not an object',
    delta: { ops: [{ insert: 'x', attributes: 'bold' }] },
    names: /attributes/,
  },
  { name: 'an embed with no key', delta: { ops: [{ insert: {} }] }, names: /embed/ },
  {
    name: 'an embed with two keys',
    delta: { ops: [{ insert: { image: 'a.png', video: 'b.mp4' } }] },
    names: /embed/,
  },
  {
    name: 'an embed holding an object',
    delta: { ops: [{ insert: { image: { src: 'a.png' } } }] },
    names: /embed|insert/,
  },
];

/** Well-formed deltas that do not apply to the document (`xabcy\n`, length 6). */
const inapplicableDeltas: BadDelta[] = [
  { name: 'a retain past the end', delta: { ops: [{ retain: 7 }] }, names: /retain.*past the end/ },
  {
    name: 'a delete past the end',
    delta: { ops: [{ retain: 2 }, { delete: 10 }] },
    names: /delete.*past the end/,
  },
  {
    name: 'a delete of the final newline',
    delta: { ops: [{ retain: 5 }, { delete: 1 }] },
    names: /end with "\\n"/,
  },
  { name: 'a delete of everything', delta: { ops: [{ delete: 6 }] }, names: /empty/ },
  {
    name: 'an insert after the final newline',
    delta: { ops: [{ retain: 6 }, { insert: 'z' }] },
    names: /end with "\\n"/,
  },
  {
    name: 'an insert carrying a null attribute',
    delta: { ops: [{ insert: 'z', attributes: { bold: null } }] },
    names: /bold.*null|null/,
  },
];

describe('[V1] malformed and inapplicable deltas', () => {
  it.each(malformedDeltas)(
    '[V1] $name: 400 BAD_REQUEST (InvalidInput), nothing stored, no internals, server up',
    async ({ delta }) => {
      const id = await makeTarget();
      const raw = await rawMutation(server.httpUrl, 'documents.submit', submitBody(id, delta));
      const error = expectRefused(raw, { status: 400, code: 'BAD_REQUEST', tag: 'InvalidInput' });
      expect(error.message).toMatch(/delta/);
      await expectUnchanged(id);
      await expectServerUp(server, id);
    },
  );

  it.each(inapplicableDeltas)(
    '[C1][D1] $name: 400 BAD_REQUEST (InvalidOperation) naming the problem, nothing stored',
    async ({ delta, names }) => {
      const id = await makeTarget();
      const raw = await rawMutation(server.httpUrl, 'documents.submit', submitBody(id, delta));
      const error = expectRefused(raw, { status: 400, code: 'BAD_REQUEST', tag: 'InvalidOperation' });
      expect(error.message).toMatch(names);
      await expectUnchanged(id);
    },
  );

  it('[V1] the message of every malformed delta says what is wrong, not only where', async () => {
    const id = await makeTarget();
    const unclear: string[] = [];
    for (const { name, delta, names } of malformedDeltas) {
      const raw = await rawMutation(server.httpUrl, 'documents.submit', submitBody(id, delta));
      const { message } = rawError(raw);
      if (!names.test(message)) unclear.push(`${name}: "${message}" does not match ${names}`);
    }
    expect(unclear).toEqual([]);
  });
});

describe('[V1] versions, sequence numbers and client ids', () => {
  const cases: Array<{ name: string; extra: Record<string, unknown>; tag: string; names: RegExp }> = [
    { name: 'a negative baseVersion', extra: { baseVersion: -1 }, tag: 'InvalidInput', names: /baseVersion/ },
    {
      name: 'a fractional baseVersion',
      extra: { baseVersion: 1.5 },
      tag: 'InvalidInput',
      names: /baseVersion/,
    },
    { name: 'a string baseVersion', extra: { baseVersion: '2' }, tag: 'InvalidInput', names: /baseVersion/ },
    {
      name: 'a baseVersion ahead of the head',
      extra: { baseVersion: 3 },
      tag: 'VersionAhead',
      names: /ahead/,
    },
    {
      name: 'a huge baseVersion',
      extra: { baseVersion: 2 ** 60 },
      tag: 'InvalidInput',
      names: /baseVersion/,
    },
    { name: 'a negative seq', extra: { seq: -1 }, tag: 'InvalidInput', names: /seq/ },
    { name: 'an empty clientId', extra: { clientId: '' }, tag: 'InvalidInput', names: /client id/ },
    {
      name: 'a clientId with a slash',
      extra: { clientId: 'anon.a/b' },
      tag: 'InvalidInput',
      names: /client id/,
    },
    { name: 'an unknown top-level key', extra: { admin: true }, tag: 'InvalidInput', names: /admin/ },
  ];
  it.each(cases)(
    '[C1] $name is refused with 400 ($tag) and changes nothing',
    async ({ extra, tag, names }) => {
      const id = await makeTarget();
      const raw = await rawMutation(
        server.httpUrl,
        'documents.submit',
        submitBody(id, { ops: [{ insert: 'q' }] }, extra),
      );
      const error = expectRefused(raw, { status: 400, code: 'BAD_REQUEST', tag });
      expect(error.message).toMatch(names);
      await expectUnchanged(id);
    },
  );

  it('answers a body that is not JSON with 400 and no internals', async () => {
    const raw = await rawMutation(server.httpUrl, 'documents.submit', '{"id": "x", ');
    expectRefused(raw, { status: 400, code: 'BAD_REQUEST' });
    const wrongShape = await rawMutation(server.httpUrl, 'documents.submit', '[1,2,3]');
    expectRefused(wrongShape, { status: 400, code: 'BAD_REQUEST', tag: 'InvalidInput' });
  });
});

describe('[D3] document ids', () => {
  const badIds: Array<{ name: string; id: unknown }> = [
    { name: 'empty', id: '' },
    { name: '129 characters', id: 'a'.repeat(129) },
    { name: 'a space', id: 'my doc' },
    { name: 'a slash', id: 'a/b' },
    { name: 'a path traversal', id: '../documents' },
    { name: 'a dot', id: 'doc.json' },
    { name: 'unicode letters', id: 'dokumént' },
    { name: 'an emoji', id: 'doc-📝' },
    { name: 'a newline', id: 'doc\n' },
    { name: 'a percent escape', id: 'a%2Fb' },
    { name: 'a number', id: 42 },
  ];

  it.each(badIds)(
    '[D3] an id with $name is refused with 400 on every procedure, and nothing is created',
    async ({ id }) => {
      const answers = [
        await rawQuery(server.httpUrl, 'documents.get', { id }),
        await rawQuery(server.httpUrl, 'documents.history', { id, fromVersion: 0 }),
        await rawMutation(server.httpUrl, 'documents.create', { id }),
        await rawMutation(server.httpUrl, 'documents.getOrCreate', { id }),
        await rawMutation(server.httpUrl, 'documents.update', { id, delta: { ops: [{ insert: 'x\n' }] } }),
        await rawMutation(
          server.httpUrl,
          'documents.submit',
          submitBody(id as string, { ops: [{ insert: 'q' }] }),
        ),
      ];
      for (const raw of answers) {
        const error = expectRefused(raw, { status: 400, code: 'BAD_REQUEST', tag: 'InvalidInput' });
        expect(error.message).toMatch(/document id/);
      }
      const stream = followChanges(socketApi(server.wsUrl), { id: id as string, sinceVersion: 0 });
      const streamError = await feedFailure(stream);
      expect(streamError.code).toBe('BAD_REQUEST');
      expect(streamError.message).toMatch(/document id/);
    },
  );

  it('[D3] ids of 1 and 128 characters from the whole alphabet are accepted', async () => {
    const long = `${'Az09_-'.repeat(21)}xy`;
    expect(long).toHaveLength(128);
    for (const id of ['Q', long, '123e4567-e89b-12d3-a456-426614174000']) {
      const created = await http.documents.create.mutate({ id });
      expect(created.id).toBe(id);
      expect((await http.documents.get.query({ id })).version).toBe(0);
    }
  });
});

describe('[V2] size limits', () => {
  it('[V2] an HTTP body over MAX_MESSAGE_BYTES is refused with 413 PAYLOAD_TOO_LARGE and stores nothing', async () => {
    const id = await makeTarget();
    const big = 'x'.repeat(Number(limits.MAX_MESSAGE_BYTES) + 1000);
    const raw = await rawMutation(
      server.httpUrl,
      'documents.submit',
      submitBody(id, { ops: [{ insert: big }] }),
    );
    expectRefused(raw, { status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const created = await rawMutation(server.httpUrl, 'documents.create', {
      id: 'too-big-to-create',
      delta: { ops: [{ insert: `${big}\n` }] },
    });
    expectRefused(created, { status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect((await failureOf(http.documents.get.query({ id: 'too-big-to-create' }))).code).toBe('NOT_FOUND');
    await expectUnchanged(id);
    await expectServerUp(server, id);
  });

  it('[V2] a WebSocket message over MAX_MESSAGE_BYTES is answered LimitExceeded; one over the hard cap closes that socket (1009); other clients and the server carry on', async () => {
    const id = await makeTarget();
    const bystander = socketApi(server.wsUrl);
    const feed = followChanges(bystander, { id, sinceVersion: 2 });
    await feed.started;

    const socket = new WebSocket(server.wsUrl);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('error', () => {});
    const answer = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    const submitFrame = (bytes: number, requestId: number) =>
      JSON.stringify({
        id: requestId,
        method: 'mutation',
        params: { path: 'documents.submit', input: submitBody(id, { ops: [{ insert: 'x'.repeat(bytes) }] }) },
      });
    // Over the message limit: a clear answer on the same socket, which stays open.
    socket.send(submitFrame(Number(limits.MAX_MESSAGE_BYTES) + 10, 1));
    const refusal = JSON.parse(await answer) as {
      id: number;
      error: { message: string; data: Record<string, unknown> };
    };
    expect(refusal.id).toBe(1);
    expect(refusal.error.data.code).toBe('PAYLOAD_TOO_LARGE');
    expect(refusal.error.data.tag).toBe('LimitExceeded');
    expect(refusal.error.message).toContain(String(limits.MAX_MESSAGE_BYTES));
    // Over the socket's hard cap (twice the limit): the frame is not even read; the socket closes.
    socket.send(submitFrame(4 * Number(limits.MAX_MESSAGE_BYTES), 2));
    expect(await closed).toBe(1009);
    await expectUnchanged(id);
    await expectServerUp(server, id);

    // The bystander's connection is untouched: it still gets new ops.
    await http.documents.submit.mutate({
      id,
      clientId: 'anon.after',
      seq: 1,
      baseVersion: 2,
      delta: { ops: [{ insert: 'k' }] },
    });
    await feed.reach(3);
    feed.unsubscribe();
  });

  it('[V2] an editor whose edit is over MAX_MESSAGE_BYTES is told why (LimitExceeded) instead of reconnecting and resending it forever', async () => {
    const id = await makeTarget();
    const editor = createCollabClient({ url: server.wsUrl, WebSocket, retryDelayMs: () => 100 });
    try {
      const session = await editor.openDocument(id, { create: false });
      await waitFor(() => session.status.connection === 'online', 'the editor online');
      const errors: string[] = [];
      session.on('error', (error) => errors.push(error.tag));
      session.apply(new Delta().insert('p'.repeat(Number(limits.MAX_MESSAGE_BYTES) + 10)));
      // Told why (§7): a refusal it can show, not a dropped socket it takes for a network failure and
      // answers by reconnecting and resending the same message, again and again.
      await waitFor(() => errors.length > 0, 'the editor to be told its edit was refused', 5_000);
      expect(errors).toContain('LimitExceeded');
      await expectUnchanged(id);
    } finally {
      editor.close();
    }
  });

  it('[V2] an op making the document larger than MAX_DOCUMENT_BYTES is refused with PAYLOAD_TOO_LARGE (LimitExceeded)', async () => {
    const id = await makeTarget();
    const maxDocument = Number(limits.MAX_DOCUMENT_BYTES);
    // Under the message limit, over the document limit.
    const raw = await rawMutation(
      server.httpUrl,
      'documents.submit',
      submitBody(id, { ops: [{ insert: 'x'.repeat(maxDocument + 10) }] }),
    );
    const error = expectRefused(raw, { status: 413, code: 'PAYLOAD_TOO_LARGE', tag: 'LimitExceeded' });
    expect(error.message).toMatch(/limit/);
    expect(error.message).toContain(String(maxDocument));
    await expectUnchanged(id);

    // Growth over several ops counts too: the op that crosses the limit is the one refused.
    const grown = await makeTarget();
    const half = 'h'.repeat(Math.floor(maxDocument / 2) - 100);
    await http.documents.submit.mutate({
      id: grown,
      clientId: 'anon.g',
      seq: 1,
      baseVersion: 2,
      delta: { ops: [{ insert: half }] },
    });
    const crossing = await failureOf(
      http.documents.submit.mutate({
        id: grown,
        clientId: 'anon.g',
        seq: 2,
        baseVersion: 3,
        delta: { ops: [{ insert: half + half }] },
      }),
    );
    expect(crossing.code).toBe('PAYLOAD_TOO_LARGE');
    expect(crossing.tag).toBe('LimitExceeded');
    expect((await http.documents.get.query({ id: grown })).version).toBe(3);

    // Formatting that grows the JSON past the limit is refused as well.
    const formatted = await failureOf(
      http.documents.submit.mutate({
        id: grown,
        clientId: 'anon.g',
        seq: 3,
        baseVersion: 3,
        delta: {
          ops: Array.from({ length: 2000 }, (_, i) => ({
            retain: 1,
            attributes: { color: i % 2 ? '#ff0000' : '#00ff00' },
          })),
        },
      }),
    );
    expect(formatted.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await http.documents.get.query({ id: grown })).version).toBe(3);
  });

  it('[V2] create and update with contents over MAX_DOCUMENT_BYTES are refused with LimitExceeded', async () => {
    const tooBig = { ops: [{ insert: `${'x'.repeat(Number(limits.MAX_DOCUMENT_BYTES) + 10)}\n` }] };
    const created = await rawMutation(server.httpUrl, 'documents.create', {
      id: 'create-over-limit',
      delta: tooBig,
    });
    expectRefused(created, { status: 413, code: 'PAYLOAD_TOO_LARGE', tag: 'LimitExceeded' });
    expect((await failureOf(http.documents.get.query({ id: 'create-over-limit' }))).code).toBe('NOT_FOUND');

    const id = await makeTarget();
    const updated = await rawMutation(server.httpUrl, 'documents.update', { id, delta: tooBig });
    expectRefused(updated, { status: 413, code: 'PAYLOAD_TOO_LARGE', tag: 'LimitExceeded' });
    await expectUnchanged(id);
  });

  it('[D1] create and update with contents that are not a document are refused with 400 and store nothing', async () => {
    const notDocuments = [
      { ops: [] },
      { ops: [{ insert: 'no final newline' }] },
      { ops: [{ insert: 'a\n' }, { retain: 1 }] },
      { ops: [{ insert: 'a' }, { delete: 1 }] },
      { ops: [{ insert: 'a\n', attributes: { bold: null } }] },
    ];
    const id = await makeTarget();
    for (const [i, delta] of notDocuments.entries()) {
      const created = await rawMutation(server.httpUrl, 'documents.create', {
        id: `not-a-document-${i}`,
        delta,
      });
      const error = expectRefused(created, { status: 400, code: 'BAD_REQUEST' });
      expect(error.message).toMatch(/document|insert/);
      expect((await failureOf(http.documents.get.query({ id: `not-a-document-${i}` }))).code).toBe(
        'NOT_FOUND',
      );
      const updated = await rawMutation(server.httpUrl, 'documents.update', { id, delta });
      expectRefused(updated, { status: 400, code: 'BAD_REQUEST' });
    }
    await expectUnchanged(id);
  });
});

describe('[V3] nesting depth', () => {
  it('[V3] 10000 nested arrays in attributes: a clear 400, nothing stored, server up', async () => {
    const id = await makeTarget();
    const body = JSON.stringify(
      submitBody(id, { ops: [{ insert: 'x', attributes: { bold: '__NESTED__' } }] }),
    ).replace('"__NESTED__"', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    const raw = await rawMutation(server.httpUrl, 'documents.submit', body);
    const error = expectRefused(raw, { status: 400, code: 'BAD_REQUEST', tag: 'InvalidInput' });
    await expectUnchanged(id);
    await expectServerUp(server, id);
    // Clear: it says what is wrong (the nesting, or at least the attribute), not only where.
    expect(error.message).toMatch(/nest|depth|attribute/i);
  });

  it('[V3] deep nesting as the whole body and in an embed is refused with 400', async () => {
    const id = await makeTarget();
    expectRefused(await rawMutation(server.httpUrl, 'documents.submit', nestedArrays(20_000)), {
      status: 400,
      code: 'BAD_REQUEST',
    });
    const embedBody = JSON.stringify(submitBody(id, { ops: [{ insert: { image: '__NESTED__' } }] })).replace(
      '"__NESTED__"',
      `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
    );
    expectRefused(await rawMutation(server.httpUrl, 'documents.submit', embedBody), {
      status: 400,
      code: 'BAD_REQUEST',
      tag: 'InvalidInput',
    });
    await expectUnchanged(id);
  });

  it('[V3] deep nesting over WebSocket is answered with BAD_REQUEST and the socket keeps serving', async () => {
    const id = await makeTarget();
    const socket = new WebSocket(server.wsUrl);
    closers.push(() => socket.close());
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const answers = new Map<number, string>();
    socket.on('message', (message) => {
      const text = message.toString();
      const { id: requestId } = JSON.parse(text) as { id: number };
      answers.set(requestId, text);
    });
    const input = JSON.stringify(
      submitBody(id, { ops: [{ insert: 'x', attributes: { bold: '__NESTED__' } }] }),
    );
    socket.send(
      `{"id":1,"method":"mutation","params":{"path":"documents.submit","input":${input.replace('"__NESTED__"', nestedArrays(10_000))}}}`,
    );
    await waitFor(() => answers.has(1), 'an answer to the nested message');
    const refused = answers.get(1) as string;
    expect(leakedInternals(refused)).toEqual([]);
    expect((JSON.parse(refused) as { error: { data: { code: string } } }).error.data.code).toBe(
      'BAD_REQUEST',
    );

    socket.send(JSON.stringify({ id: 2, method: 'query', params: { path: 'documents.get', input: { id } } }));
    await waitFor(() => answers.has(2), 'an answer on the same socket');
    expect(JSON.parse(answers.get(2) as string)).toMatchObject({
      id: 2,
      result: { data: { id, version: 2 } },
    });
    await expectUnchanged(id);
  });
});

describe('[S7] storage failures', () => {
  it('[S7] [C8] a write the storage cannot take right now (busy) is answered Unavailable without the storage error text; nothing is half-stored', async () => {
    const id = await makeTarget();
    const file = openSqliteFile(server.sqlitePath, { writable: true });
    let raw: RawAnswer;
    const release = file.lockForWriting();
    try {
      // The server waits for the lock (its busy timeout), then gives up on this op.
      raw = await rawMutation(server.httpUrl, 'documents.submit', submitBody(id, { ops: [{ insert: 'q' }] }));
    } finally {
      release();
      file.close();
    }
    expectRefused(raw, { status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(rawError(raw).message).toBe(errorCatalogue.Unavailable.message);
    await expectUnchanged(id);
    // With the lock gone, the same op commits.
    const op = { id, clientId: 'anon.bad-client', seq: 1, baseVersion: 2, delta: { ops: [{ insert: 'q' }] } };
    expect((await http.documents.submit.mutate(op)).version).toBe(3);
  });
});

describe('[C3] replayed (clientId, seq)', () => {
  it('[C3] the same op sent many times at once, over WebSocket and HTTP, is committed once', async () => {
    const id = await makeTarget();
    const api = socketApi(server.wsUrl);
    const op = {
      id,
      clientId: 'anon.replayer',
      seq: 7,
      baseVersion: 2,
      delta: { ops: [{ insert: 'once' }] },
    };
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? api : http).documents.submit.mutate(op)),
    );
    expect(new Set(answers.map((a) => a.version))).toEqual(new Set([3]));
    const doc = await http.documents.get.query({ id });
    expect(doc.version).toBe(3);
    expect(doc.delta.ops).toEqual([{ insert: 'oncexabcy\n' }]);
    // [A4] the same (clientId, seq) with other contents is refused and stores nothing.
    const other = await failureOf(
      http.documents.submit.mutate({ ...op, delta: { ops: [{ insert: 'other' }] } }),
    );
    expect(other.tag).toBe('InvalidOperation');
    expect((await http.documents.get.query({ id })).version).toBe(3);
  });

  it('[C3] [L1] a resend after many other ops (past the in-memory window) is answered with its version, committed once', async () => {
    const id = await makeTarget();
    const op = {
      id,
      clientId: 'anon.late-ack',
      seq: 1,
      baseVersion: 2,
      delta: { ops: [{ insert: 'mine' }] },
    };
    const original = await http.documents.submit.mutate(op);
    expect(original.version).toBe(3);
    // Resent by a client that refreshed meanwhile (its base is past the op): recognised while the op is
    // among the server's recent ops.
    const refreshed = (await http.documents.get.query({ id })).version;
    expect((await http.documents.submit.mutate({ ...op, baseVersion: refreshed })).version).toBe(3);
    const window = Number(limits.RECENT_OPS_WINDOW);
    for (let seq = 1; seq <= window + 3; seq++) {
      const head = (await http.documents.get.query({ id })).version;
      await http.documents.submit.mutate({
        id,
        clientId: 'anon.busy',
        seq,
        baseVersion: head,
        delta: { ops: [{ insert: '.' }] },
      });
    }
    const head = (await http.documents.get.query({ id })).version;
    // Resent from a base older than the window (a client back after a long time): the server reads no
    // history for it [L1], but the store remembers every (clientId, seq): it answers the original version.
    expect((await http.documents.submit.mutate(op)).version).toBe(3);
    const history = await fullHistory(http, id);
    expect(history.filter((o) => o.clientId === 'anon.late-ack')).toHaveLength(1);
    expect((await http.documents.get.query({ id })).version).toBe(head);
  });
});

describe('[V4] [V5] rate and connection limits', () => {
  let limited: SqliteServer;
  beforeAll(async () => {
    limited = await startSqliteServer({ MAX_OPS_PER_SECOND: '5', MAX_CONNECTIONS_PER_DOCUMENT: '2' });
  });
  afterAll(async () => {
    await limited?.stopAndRemove();
  });

  /** Creates a document on the limited server over its own socket (HTTP shares one budget per address). */
  async function limitedDoc(id: string) {
    const api = socketApi(limited.wsUrl);
    await api.documents.create.mutate({ id });
    return api;
  }

  it('[V4] a WebSocket connection over MAX_OPS_PER_SECOND gets TOO_MANY_REQUESTS (RateLimited); refused ops are not stored; other connections are not slowed', async () => {
    const id = 'rate-ws';
    await limitedDoc(id);
    const eager = socketApi(limited.wsUrl);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        eager.documents.submit.mutate({
          id,
          clientId: 'anon.eager',
          seq: i + 1,
          baseVersion: 0,
          delta: { ops: [{ insert: 'e' }] },
        }),
      ),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    for (const reason of refused) {
      const error = callError(reason);
      expect(error.code).toBe('TOO_MANY_REQUESTS');
      expect(error.tag).toBe('RateLimited');
      expect(error.message).toMatch(/too many|slow down/i);
    }
    const calm = socketApi(limited.wsUrl);
    const doc = await calm.documents.get.query({ id });
    expect(doc.version).toBe(accepted.length);
    expect(await fullHistory(calm, id)).toHaveLength(accepted.length);

    // Another connection has its own budget.
    await calm.documents.submit.mutate({
      id,
      clientId: 'anon.calm',
      seq: 1,
      baseVersion: doc.version,
      delta: { ops: [{ insert: 'c' }] },
    });
    // The eager connection gets its budget back over time.
    await eventually(() =>
      eager.documents.submit.mutate({
        id,
        clientId: 'anon.eager',
        seq: 100,
        baseVersion: 0,
        delta: { ops: [{ insert: 'e' }] },
      }),
    );
  });

  it('[V4] a burst of HTTP writes over the limit gets 429 with no internals', async () => {
    const id = 'rate-http';
    await limitedDoc(id);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        rawMutation(limited.httpUrl, 'documents.submit', {
          id,
          clientId: 'anon.http-burst',
          seq: i + 1,
          baseVersion: 0,
          delta: { ops: [{ insert: 'h' }] },
        }),
      ),
    );
    const refused = answers.filter((raw) => raw.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const raw of refused)
      expectRefused(raw, { status: 429, code: 'TOO_MANY_REQUESTS', tag: 'RateLimited' });
    const version = (await socketApi(limited.wsUrl).documents.get.query({ id })).version;
    expect(version).toBe(answers.length - refused.length);
  });

  it('[V5] subscriptions past MAX_CONNECTIONS_PER_DOCUMENT are refused (TooManyConnections) until one leaves', async () => {
    const id = 'connections';
    const writer = await limitedDoc(id);
    const first = followChanges(socketApi(limited.wsUrl), { id, sinceVersion: 0 });
    const second = followChanges(socketApi(limited.wsUrl), { id, sinceVersion: 0 });
    await Promise.all([first.started, second.started]);
    await writer.documents.submit.mutate({
      id,
      clientId: 'anon.w',
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ insert: 'a' }] },
    });
    await Promise.all([first.reach(1), second.reach(1)]);

    const third = followChanges(socketApi(limited.wsUrl), { id, sinceVersion: 0 });
    const error = await feedFailure(third);
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(error.tag).toBe('TooManyConnections');
    expect(error.message).toMatch(/connections/);
    third.unsubscribe();

    // Other documents are not affected.
    await limitedDoc('connections-other');
    const elsewhere = followChanges(socketApi(limited.wsUrl), { id: 'connections-other', sinceVersion: 0 });
    await elsewhere.started;
    await eventually(() =>
      writer.documents.submit.mutate({
        id: 'connections-other',
        clientId: 'anon.w',
        seq: 1,
        baseVersion: 0,
        delta: { ops: [{ insert: 'b' }] },
      }),
    );
    await elsewhere.reach(1);
    elsewhere.unsubscribe();

    // Once one leaves, a newcomer gets in (the server learns of the leave asynchronously).
    first.unsubscribe();
    const newcomer = await eventually(async () => {
      const feed = followChanges(socketApi(limited.wsUrl), { id, sinceVersion: 0 });
      try {
        await feed.reach(1);
        return feed;
      } catch (cause) {
        feed.unsubscribe();
        throw cause;
      }
    });
    expect(newcomer.ops().map((op) => op.version)).toEqual([1]);
    newcomer.unsubscribe();
    second.unsubscribe();
  });

  it('[L3] every stream counts against MAX_CONNECTIONS_PER_DOCUMENT: an editor following changes and presence holds two', async () => {
    const id = 'connections-editors';
    await limitedDoc(id);
    const api = socketApi(limited.wsUrl);
    let presenceStarted = false;
    const presence = api.presence.stream.subscribe(
      { id, clientId: 'anon.editor' },
      { onStarted: () => (presenceStarted = true), onData: () => {} },
    );
    closers.push(() => presence.unsubscribe());
    const changes = followChanges(api, { id, sinceVersion: 0 });
    await changes.started;
    await waitFor(() => presenceStarted, 'the presence stream to start');
    // Started is announced before a stream takes its place on the document: give both the moment they need.
    await sleep(300);
    // The document's two streams are taken by one connection: a second editor's stream is refused.
    const other = followChanges(socketApi(limited.wsUrl), { id, sinceVersion: 0 });
    const error = await feedFailure(other);
    expect(error.tag).toBe('TooManyConnections');
    other.unsubscribe();
    changes.unsubscribe();
  });
});

/** Retries `attempt` until it succeeds (rate budgets refill and leaves are learned asynchronously). */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
