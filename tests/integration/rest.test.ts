import { type CollabClient, createCollabClient, Delta } from '@collab/client';
import type { CommittedOp } from '@collab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/editing.js';
import { LegacyClient, parseLegacyDocument } from '../support/legacyClient.js';
import { type ServerProcess, type SqliteServer, startServer, startSqliteServer } from '../support/server.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';

/*
 * The seed's REST routes (docs/SPEC.md §6): same paths and success bodies, real 404s, and bad input refused
 * with a 4xx and a message, never a 5xx, and never changing the document.
 */

let server: ServerProcess;
let client: CollabClient;

const documents = () => `${server.httpUrl}/api/database/documents`;

async function request(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text ? JSON.parse(text) : undefined,
  };
}

/** GET …/get/{id} the way the seed's client reads it: a JSON string, parsed again, Data parsed a third time. */
async function legacyGet(id: string) {
  const response = await request('GET', `${documents()}/get/${id}`);
  expect(response.status).toBe(200);
  expect(typeof response.json).toBe('string');
  return parseLegacyDocument(response.json as string);
}

const quillData = (text: string) => JSON.stringify({ ops: [{ insert: text }] });

describe.each(storageKinds)('REST compatibility routes (§6) on %s', (kind) => {
  let storage: TestStorage;

  beforeAll(async () => {
    storage = await startStorage(kind);
    server = await startServer({ env: { ...storage.env('rest'), ALLOWED_ORIGINS: 'http://seed.example' } });
    client = createCollabClient({ url: server.wsUrl, WebSocket });
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    await storage?.stop();
  });

  it('[R1] POST creates a document with the given id and answers the seed body', async () => {
    const response = await request('POST', documents(), { id: 'rest-post', Data: quillData('Hello\n') });
    expect(response.status).toBe(200);
    expect(response.text).toBe('{"message":"Document created successfully","document_id":"rest-post"}');
    const doc = await legacyGet('rest-post');
    expect(doc).toEqual({ id: 'rest-post', delta: new Delta().insert('Hello\n') });
    const stored = await client.api.documents.get.query({ id: 'rest-post' });
    expect(stored).toMatchObject({ version: 0, delta: { ops: [{ insert: 'Hello\n' }] } });
  });

  it('[R1] POST without an id creates a new UUID; Data may be a delta object or a bare op array', async () => {
    const asObject = await request('POST', documents(), { Data: { ops: [{ insert: 'object\n' }] } });
    expect(asObject.status).toBe(200);
    expect(asObject.json.message).toBe('Document created successfully');
    expect(asObject.json.document_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect((await legacyGet(asObject.json.document_id)).delta.ops).toEqual([{ insert: 'object\n' }]);

    const asArray = await request('POST', documents(), { Data: JSON.stringify([{ insert: 'array\n' }]) });
    expect(asArray.status).toBe(200);
    expect(asArray.json.document_id).not.toBe(asObject.json.document_id);
    expect((await legacyGet(asArray.json.document_id)).delta.ops).toEqual([{ insert: 'array\n' }]);
  });

  it('[R1] GET get/{id} answers a JSON string holding {id, Data} with Data the delta as JSON text', async () => {
    await request('POST', documents(), {
      id: 'rest-shape',
      Data: JSON.stringify({ ops: [{ insert: 'Bold', attributes: { bold: true } }, { insert: '\n' }] }),
    });
    const response = await request('GET', `${documents()}/get/rest-shape`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(response.json as string)).toEqual({
      id: 'rest-shape',
      Data: '{"ops":[{"insert":"Bold","attributes":{"bold":true}},{"insert":"\\n"}]}',
    });
  });

  it('[R2] GET get/{id} of a missing document is a 404 {"Error":"Document not found"}', async () => {
    const response = await request('GET', `${documents()}/get/does-not-exist`);
    expect(response.status).toBe(404);
    expect(response.text).toBe('{"Error":"Document not found"}');
  });

  it('[R1] [D1] GET getorcreate/{id} creates an empty document once, then returns it', async () => {
    const first = await request('GET', `${documents()}/getorcreate/rest-goc`);
    expect(first.status).toBe(200);
    expect(first.json).toBe('{"id":"rest-goc","Data":"{\\"ops\\":[{\\"insert\\":\\"\\\\n\\"}]}"}');
    expect(JSON.parse(JSON.parse(first.json).Data)).toEqual({ ops: [{ insert: '\n' }] });
    const again = await request('GET', `${documents()}/getorcreate/rest-goc`);
    expect(again.json).toBe(first.json);
    expect((await client.api.documents.get.query({ id: 'rest-goc' })).version).toBe(0);
  });

  it('[R1] [R3] PUT replaces the contents as one op (the diff) and answers {"Data": stored}', async () => {
    await request('POST', documents(), { id: 'rest-put', Data: quillData('one two\n') });
    const response = await request('PUT', `${documents()}/rest-put`, { Data: quillData('one three\n') });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ Data: '{"ops":[{"insert":"one three\\n"}]}' });
    expect((await legacyGet('rest-put')).delta.ops).toEqual([{ insert: 'one three\n' }]);
    const history = await client.api.documents.history.query({ id: 'rest-put', fromVersion: 0 });
    expect(history.headVersion).toBe(1);
    expect(history.ops).toHaveLength(1);
    // The op is the diff, not a wholesale replacement.
    expect(new Delta().insert('one two\n').compose(new Delta(history.ops[0]!.delta.ops)).ops).toEqual([
      { insert: 'one three\n' },
    ]);
    expect(history.ops[0]!.delta.ops.some((op) => 'delete' in op && op.delete === 'one two\n'.length)).toBe(
      false,
    );
  });

  it('[R1] [R3] PUT and POST store whether or not the document exists, like the seed, as ops', async () => {
    const put = await request('PUT', `${documents()}/rest-upsert`, { Data: quillData('made by PUT\n') });
    expect(put.status).toBe(200);
    expect((await legacyGet('rest-upsert')).delta.ops).toEqual([{ insert: 'made by PUT\n' }]);
    const post = await request('POST', documents(), { id: 'rest-upsert', Data: quillData('made by POST\n') });
    expect(post.json).toEqual({ message: 'Document created successfully', document_id: 'rest-upsert' });
    const stored = await client.api.documents.get.query({ id: 'rest-upsert' });
    expect(stored).toMatchObject({ version: 1, delta: { ops: [{ insert: 'made by POST\n' }] } });
  });

  it('[R2] PUT without Data, or with an empty one, is a 400 {"detail":"Data field is required"}', async () => {
    await request('POST', documents(), { id: 'rest-empty', Data: quillData('keep\n') });
    for (const body of [{}, { Data: '' }, { Data: null }, { Data: {} }, { Data: [] }]) {
      const response = await request('PUT', `${documents()}/rest-empty`, body);
      expect(response.status).toBe(400);
      expect(response.text).toBe('{"detail":"Data field is required"}');
    }
    const stored = await client.api.documents.get.query({ id: 'rest-empty' });
    expect(stored).toMatchObject({ version: 0, delta: { ops: [{ insert: 'keep\n' }] } });
  });

  it('[D3] [V1] bad ids, bad JSON and invalid deltas get a 4xx with a message and change nothing', async () => {
    await request('POST', documents(), { id: 'rest-bad', Data: quillData('intact\n') });
    const cases: Array<[string, string, unknown]> = [
      ['GET', `${documents()}/get/bad%20id`, undefined],
      ['GET', `${documents()}/getorcreate/${'x'.repeat(129)}`, undefined],
      ['GET', `${documents()}/get/%E0%A4%A`, undefined],
      ['PUT', `${documents()}/bad.id`, { Data: quillData('x\n') }],
      ['POST', documents(), { id: 'bad/id', Data: quillData('x\n') }],
      ['POST', documents(), { id: 42, Data: quillData('x\n') }],
      ['PUT', `${documents()}/rest-bad`, '{"Data": '],
      ['PUT', `${documents()}/rest-bad`, 'not json at all'],
      ['PUT', `${documents()}/rest-bad`, '["Data"]'],
      ['PUT', `${documents()}/rest-bad`, { Data: '{"ops": [' }],
      ['PUT', `${documents()}/rest-bad`, { Data: quillData('no final newline') }],
      ['PUT', `${documents()}/rest-bad`, { Data: { ops: [{ retain: 3 }] } }],
      ['PUT', `${documents()}/rest-bad`, { Data: { ops: [{ insert: 'x\n', bogus: 1 }] } }],
      ['PUT', `${documents()}/rest-bad`, { Data: { ops: [{ insert: 7 }] } }],
      ['PUT', `${documents()}/rest-bad`, { Data: { text: 'hello' } }],
      ['PUT', `${documents()}/rest-bad`, { Data: `${'['.repeat(50)}${']'.repeat(50)}` }],
      ['PUT', `${documents()}/rest-bad`, `{"Data": ${'['.repeat(5000)}${']'.repeat(5000)}}`],
      ['POST', documents(), { Data: quillData('no newline') }],
    ];
    for (const [method, url, body] of cases) {
      const response = await request(method, url, body);
      expect(response.status, `${method} ${url} ${String(body).slice(0, 60)}`).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(typeof response.json.detail).toBe('string');
      expect(response.json.detail.length).toBeGreaterThan(5);
      expect(response.text).not.toMatch(/at .*\.(js|ts):\d+|node_modules|\/src\//);
    }
    const stored = await client.api.documents.get.query({ id: 'rest-bad' });
    expect(stored).toMatchObject({ version: 0, delta: { ops: [{ insert: 'intact\n' }] } });
  });

  it('[R2] [A5] the wrong method is a 405, an unknown path a 404, and CORS is granted only to configured origins', async () => {
    const wrongMethod = await request('DELETE', `${documents()}/rest-post`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('PUT');
    expect((await request('POST', `${documents()}/get/rest-post`, {})).status).toBe(405);
    expect((await request('GET', `${server.httpUrl}/api/database/other`)).status).toBe(404);
    expect((await request('GET', `${documents()}/get/a/b`)).status).toBe(404);
    const preflight = await fetch(documents(), {
      method: 'OPTIONS',
      headers: { origin: 'http://seed.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://seed.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const foreign = await fetch(documents(), {
      method: 'OPTIONS',
      headers: { origin: 'http://elsewhere.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('[R3] [C2] a REST write is seen live by a tRPC subscriber and by a legacy socket', async () => {
    await request('POST', documents(), { id: 'rest-live', Data: quillData('before\n') });
    const events: CommittedOp[] = [];
    const subscription = client.api.documents.changes.subscribe(
      { id: 'rest-live', sinceVersion: 0 },
      { onData: ({ data }) => events.push(...data.ops) },
    );
    const legacy = await LegacyClient.open(server.port, 'rest-live');
    try {
      expect(legacy.text()).toBe('before\n');
      const put = await request('PUT', `${documents()}/rest-live`, { Data: quillData('before and after\n') });
      expect(put.status).toBe(200);
      await waitFor(() => events.length === 1, 'the tRPC subscriber got the op');
      expect(events[0]).toMatchObject({ version: 1, clientId: expect.stringMatching(/^anon\.rest-/) });
      await waitFor(() => legacy.text() === 'before and after\n', 'the legacy socket got the op');
      expect(legacy.framesOf('update-document')).toHaveLength(1);

      const post = await request('POST', documents(), { id: 'rest-live', Data: quillData('replaced\n') });
      expect(post.status).toBe(200);
      await waitFor(() => events.length === 2 && legacy.text() === 'replaced\n', 'both saw the POST');
      expect(events.map((op) => op.version)).toEqual([1, 2]);
    } finally {
      subscription.unsubscribe();
      await legacy.close();
    }
  });
});

describe('REST limits (§7)', () => {
  let limited: SqliteServer;

  beforeAll(async () => {
    limited = await startSqliteServer({
      MAX_MESSAGE_BYTES: String(64 * 1024),
      MAX_DOCUMENT_BYTES: String(16 * 1024),
      MAX_OPS_PER_SECOND: '2',
    });
  });

  afterAll(async () => {
    await limited?.stopAndRemove();
  });

  const limitedDocuments = () => `${limited.httpUrl}/api/database/documents`;

  it('[V2] a body over the message limit is a 413 and the server stays healthy', async () => {
    const huge = { id: 'huge', Data: quillData(`${'x'.repeat(1024 * 1024)}\n`) };
    const response = await request('POST', limitedDocuments(), huge);
    expect(response.status).toBe(413);
    expect(response.json.detail).toMatch(/over the limit of 65536 bytes/);
    expect((await request('GET', `${limitedDocuments()}/get/huge`)).status).toBe(404);
    expect((await fetch(`${limited.httpUrl}/healthz`)).status).toBe(200);
  });

  it('[V2] a document over the size limit is a 413 and is not stored', async () => {
    const response = await request('POST', limitedDocuments(), {
      id: 'too-big',
      Data: quillData(`${'y'.repeat(20 * 1024)}\n`),
    });
    expect(response.status).toBe(413);
    expect(response.json.detail).toMatch(/over the limit/);
    expect((await request('GET', `${limitedDocuments()}/get/too-big`)).status).toBe(404);
  });

  it('[V4] writes beyond the ops-per-second budget are a 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        (await request('PUT', `${limitedDocuments()}/rate`, { Data: quillData(`v${i}\n`) })).status,
      );
    }
    expect(statuses).toContain(429);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    // Reads are not rationed.
    expect((await request('GET', `${limitedDocuments()}/get/rate`)).status).toBe(200);
    expect(limited.output()).not.toMatch(/"level":"error"/);
  });
});
