import { randomUUID } from 'node:crypto';
import { Delta } from '@collab/client';
import { applyChange } from '@collab/ot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSession, httpApiAs } from '../support/principals.js';
import { type ServerProcess, startServer } from '../support/server.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';
import { type Api, failureOf, followChanges, httpApi, wsApi } from '../support/trpc.js';

/*
 * Version history and export over a real server process [H1][H2], on each storage: any version rebuilt
 * from the kept snapshots, sessions with authors' names, names, restore seen live, and downloads.
 */

describe.each(storageKinds)('history and export on %s', (kind) => {
  let storage: TestStorage;
  let server: ServerProcess;
  let api: Api;

  beforeAll(async () => {
    storage = await startStorage(kind);
    // Snapshots every 5 ops, kept for history every 10 versions: a short history crosses several.
    server = await startServer({
      env: { ...storage.env('history'), SNAPSHOT_EVERY_OPS: '5', HISTORY_SNAPSHOT_EVERY_OPS: '10' },
    });
    api = httpApi(server.httpUrl);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await storage?.stop();
  });

  it('[H1] every version reads back exactly, the session names its authors, and restore is one op everyone sees', async () => {
    const id = randomUUID();
    await api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Start\n' }] } });
    // Two people, each in their own browser session [A1]: an op's author is its principal's authorId.
    const people = [];
    for (const [name, color] of [
      ['Ada', '#d93025'],
      ['Grace', '#1a73e8'],
    ] as const) {
      const session = await browserSession(server.httpUrl);
      const personApi = httpApiAs(server.httpUrl, { cookie: session.cookie });
      const clientId = `${session.me.authorId}.tab`;
      await personApi.presence.update.mutate({
        id,
        clientId,
        user: { name, color },
        range: null,
        version: 0,
      });
      people.push({ api: personApi, clientId, authorId: session.me.authorId });
    }
    const [ada, grace] = people as [(typeof people)[number], (typeof people)[number]];
    const versions = [new Delta().insert('Start\n')];
    for (let version = 1; version <= 34; version++) {
      const change = version % 6 === 0 ? new Delta().delete(3) : new Delta().insert(`${version} `);
      const person = version % 2 ? ada : grace;
      await person.api.documents.submit.mutate({
        id,
        clientId: person.clientId,
        seq: version,
        baseVersion: version - 1,
        delta: { ops: change.ops as never },
      });
      versions.push(applyChange(versions.at(-1) as Delta, change));
    }
    for (let version = 0; version <= 34; version++) {
      const view = await api.history.at.query({ id, version });
      expect(view.delta.ops, `version ${version}`).toEqual(versions[version]?.ops);
    }

    const listed = await api.history.sessions.query({ id });
    expect(listed.headVersion).toBe(34);
    expect(listed.sessions).toEqual([
      expect.objectContaining({
        fromVersion: 0,
        toVersion: 34,
        opCount: 34,
        name: null,
        restore: false,
        authors: [
          { authorId: ada.authorId, name: 'Ada', color: '#d93025' },
          { authorId: grace.authorId, name: 'Grace', color: '#1a73e8' },
        ],
      }),
    ]);

    await api.history.name.mutate({ id, version: 34, name: 'Before restore' });
    const socket = wsApi(server.wsUrl);
    const follower = followChanges(socket.api, { id, sinceVersion: 34 });
    await follower.started;
    const restored = await api.history.restore.mutate({ id, version: 12, clientId: 'anon.lin' });
    expect(restored).toEqual({ id, version: 35 });
    await follower.reach(35);
    expect(follower.ops().map((op) => op.version)).toEqual([35]);
    follower.unsubscribe();
    socket.close();
    expect((await api.documents.get.query({ id })).delta.ops).toEqual(versions[12]?.ops);

    const after = await api.history.sessions.query({ id });
    expect(after.sessions.map((s) => [s.toVersion, s.name, s.restore, s.authors.map((a) => a.name)])).toEqual(
      [
        [35, null, true, ['Anonymous']],
        [34, 'Before restore', false, ['Ada', 'Grace']],
      ],
    );
  });

  it('[H1] bad history requests are refused with catalogue errors and change nothing', async () => {
    const id = randomUUID();
    await api.documents.create.mutate({ id, delta: { ops: [{ insert: 'x\n' }] } });
    expect(await failureOf(api.history.at.query({ id, version: 5 }))).toMatchObject({ tag: 'InvalidInput' });
    expect(await failureOf(api.history.name.mutate({ id, version: 0, name: '   ' }))).toMatchObject({
      tag: 'InvalidInput',
    });
    expect(
      await failureOf(api.history.restore.mutate({ id, version: 9, clientId: 'anon.ada' })),
    ).toMatchObject({
      tag: 'InvalidInput',
    });
    expect(await failureOf(api.history.sessions.query({ id: randomUUID() }))).toMatchObject({
      tag: 'DocumentNotFound',
    });
    expect((await api.documents.get.query({ id })).version).toBe(0);
  });

  it('[H2] GET /api/documents/{id}/export answers an attachment in each format; bad requests get 4xx', async () => {
    const id = randomUUID();
    await api.documents.create.mutate({
      id,
      delta: {
        ops: [{ insert: 'Title' }, { insert: '\n', attributes: { header: 1 } }, { insert: 'Body\n' }],
      },
    });
    const expected = {
      txt: ['text/plain; charset=utf-8', 'Title\nBody\n'],
      md: ['text/markdown; charset=utf-8', '# Title\n\nBody\n'],
      html: ['text/html; charset=utf-8', '<h1>Title</h1><p>Body</p>'],
    } as const;
    for (const [format, [type, body]] of Object.entries(expected)) {
      const response = await fetch(`${server.httpUrl}/api/documents/${id}/export?format=${format}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${id}.${format}"`);
      expect(await response.text()).toContain(body);
    }
    const docx = await fetch(`${server.httpUrl}/api/documents/${id}/export?format=docx`);
    expect(
      Buffer.from(await docx.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');

    expect((await fetch(`${server.httpUrl}/api/documents/${randomUUID()}/export?format=txt`)).status).toBe(
      404,
    );
    expect((await fetch(`${server.httpUrl}/api/documents/not%20an%20id/export?format=txt`)).status).toBe(400);
    expect((await fetch(`${server.httpUrl}/api/documents/${id}/export?format=exe`)).status).toBe(400);
    expect((await fetch(`${server.httpUrl}/api/documents/${id}/export`, { method: 'POST' })).status).toBe(
      405,
    );
  });
});

describe('export under load', () => {
  let storage: TestStorage;
  let server: ServerProcess;

  beforeAll(async () => {
    storage = await startStorage('sqlite');
    server = await startServer({ env: storage.env('export-load') });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await storage?.stop();
  });

  it('[H2] exports past the queue bound are refused with 503 Unavailable, and exports work again afterwards', async () => {
    const api = httpApi(server.httpUrl);
    const id = randomUUID();
    const line = 'A line of words that a Word document turns into a paragraph of its own.\n';
    await api.documents.create.mutate({ id, delta: { ops: [{ insert: line.repeat(6_000) }] } });
    const url = `${server.httpUrl}/api/documents/${id}/export?format=docx`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(url);
        return { status: response.status, body: await response.text() };
      }),
    );
    const refused = answers.filter((answer) => answer.status === 503);
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 503)).toBe(true);
    expect(JSON.parse(refused[0]?.body ?? '{}')).toEqual({
      detail: 'Too many exports are being prepared; try again in a moment',
    });
    expect((await fetch(url)).status).toBe(200);
  }, 120_000);
});
