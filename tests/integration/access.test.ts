import { get as httpGet } from 'node:http';
import { createCollabClient, Delta } from '@collab/client';
import type { Me } from '@collab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deltaText, sleep, waitFor } from '../support/editing.js';
import { LegacyClient } from '../support/legacyClient.js';
import { browserSession, httpApiAs, wsApiAs } from '../support/principals.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';
import { failureOf, feedFailure, followChanges, httpApi } from '../support/trpc.js';

type Api = ReturnType<typeof httpApiAs>;

/** A person in a browser: a session cookie, and the typed API over their socket. */
interface Person {
  readonly cookie: string;
  readonly me: Me;
  readonly api: Api;
  readonly http: Api;
  close(): void;
}

async function person(server: SqliteServer): Promise<Person> {
  const { cookie, me } = await browserSession(server.httpUrl);
  const socket = wsApiAs(server.wsUrl, { cookie });
  return { cookie, me, api: socket.api, http: httpApiAs(server.httpUrl, { cookie }), close: socket.close };
}

const insert = (text: string) => ({ ops: [{ insert: text }] });

/** Upgrades a socket with the given headers; resolves with the HTTP status the server answered. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', (error) => {
      if (!String(error).includes('Unexpected server response')) reject(error);
    });
  });
}

describe('access control and identity (docs/SPEC.md §10)', () => {
  let server: SqliteServer;
  const people: Person[] = [];
  const join = async () => {
    const p = await person(server);
    people.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startSqliteServer({
      DEFAULT_GENERAL_ACCESS: 'restricted',
      ALLOWED_ORIGINS: 'https://partner.example',
    });
  });
  afterAll(async () => {
    for (const p of people) p.close();
    await server?.stopAndRemove();
  });

  it('[A1] a browser gets an opaque HttpOnly SameSite=Lax session cookie; the server knows it by its cookie alone', async () => {
    const first = await browserSession(server.httpUrl);
    expect(first.setCookie).toMatch(
      /^collab_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/,
    );
    expect(first.me).toMatchObject({ kind: 'session', name: null });
    expect(first.me.authorId).toMatch(/^s-/);
    // Behind TLS (as the proxy reports) the cookie is Secure.
    const secure = await browserSession(server.httpUrl, { 'x-forwarded-proto': 'https' });
    expect(secure.setCookie).toContain('; Secure');
    // The same cookie is the same principal over a socket; a made-up one is nobody's session.
    const socket = wsApiAs(server.wsUrl, { cookie: first.cookie });
    expect(await socket.api.session.me.query()).toEqual(first.me);
    socket.close();
    const forged = httpApiAs(server.httpUrl, { cookie: `collab_session=${'A'.repeat(43)}` });
    expect((await forged.session.me.query()).authorId).not.toBe(first.me.authorId);
  });

  it('[A1] the display name and colour are saved on the session and come back on a new connection', async () => {
    const ada = await join();
    const saved = await ada.http.session.setProfile.mutate({ name: 'Ada', color: '#aa3300' });
    expect(saved).toMatchObject({ authorId: ada.me.authorId, name: 'Ada', color: '#aa3300' });
    const again = wsApiAs(server.wsUrl, { cookie: ada.cookie });
    expect(await again.api.session.me.query()).toMatchObject({ name: 'Ada', color: '#aa3300' });
    again.close();
  });

  it('[A2] [A3] a restricted document is NOT_FOUND to others on every procedure; the owner sees its settings', async () => {
    const owner = await join();
    const stranger = await join();
    const id = 'restricted-doc';
    await owner.api.documents.getOrCreate.mutate({ id });
    expect(await owner.api.access.get.query({ id })).toEqual({
      id,
      role: 'owner',
      generalAccess: 'restricted',
      links: { viewer: null, editor: null },
    });
    const clientId = `${stranger.me.authorId}.tab`;
    const refusals = await Promise.all([
      failureOf(stranger.api.documents.get.query({ id })),
      failureOf(stranger.api.documents.getOrCreate.mutate({ id })),
      failureOf(stranger.api.documents.history.query({ id, fromVersion: 0 })),
      failureOf(
        stranger.api.documents.submit.mutate({ id, clientId, seq: 1, baseVersion: 0, delta: insert('x') }),
      ),
      failureOf(stranger.api.documents.update.mutate({ id, delta: insert('x\n') })),
      failureOf(stranger.api.access.get.query({ id })),
      failureOf(
        stranger.api.presence.update.mutate({
          id,
          clientId,
          user: { name: 'S', color: '#000000' },
          range: null,
          version: 0,
        }),
      ),
    ]);
    for (const refusal of refusals)
      expect(refusal).toMatchObject({ code: 'NOT_FOUND', tag: 'DocumentNotFound' });
    expect(await feedFailure(followChanges(stranger.api, { id, sinceVersion: 0 }))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await owner.api.documents.get.query({ id })).version).toBe(0);
  });

  it('[A2] [A3] a view link lets its holder read, follow and show a cursor; every write is FORBIDDEN and changes nothing', async () => {
    const owner = await join();
    const viewer = await join();
    const id = 'view-link-doc';
    await owner.api.documents.create.mutate({ id, delta: insert('shared\n') });
    const { links } = await owner.api.access.rotateLink.mutate({ id, role: 'viewer' });
    const key = links?.viewer as string;
    expect(key).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(await viewer.api.access.get.query({ id, key })).toEqual({
      id,
      role: 'viewer',
      generalAccess: 'restricted',
      links: null,
    });
    expect(deltaText((await viewer.api.documents.get.query({ id, key })).delta)).toBe('shared\n');
    const feed = followChanges(viewer.api, { id, key, sinceVersion: 0 });
    const clientId = `${viewer.me.authorId}.tab`;
    await viewer.api.presence.update.mutate({
      id,
      key,
      clientId,
      user: { name: 'V', color: '#112233' },
      range: { index: 1, length: 0 },
      version: 0,
    });
    const writes = await Promise.all([
      failureOf(
        viewer.api.documents.submit.mutate({ id, key, clientId, seq: 1, baseVersion: 0, delta: insert('x') }),
      ),
      failureOf(viewer.api.documents.update.mutate({ id, key, delta: insert('gone\n') })),
      failureOf(viewer.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' })),
      failureOf(viewer.api.access.rotateLink.mutate({ id, role: 'editor' })),
    ]);
    expect(writes.slice(0, 2)).toEqual([
      expect.objectContaining({ code: 'FORBIDDEN', tag: 'Forbidden', httpStatus: 403 }),
      expect.objectContaining({ code: 'FORBIDDEN', tag: 'Forbidden' }),
    ]);
    // Without the key the owner's settings are not even visible to them.
    expect(writes.slice(2).map((w) => w.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    // The owner's edit reaches the viewer live.
    await owner.api.documents.submit.mutate({
      id,
      clientId: `${owner.me.authorId}.t`,
      seq: 1,
      baseVersion: 0,
      delta: insert('live '),
    });
    await feed.reach(1);
    const doc = await owner.api.documents.get.query({ id });
    expect(doc.version).toBe(1);
    expect(deltaText(doc.delta)).toBe('live shared\n');
    feed.unsubscribe();
  });

  it('[A2] an edit link lets its holder edit; general access "view" and "edit" open the document to anyone', async () => {
    const owner = await join();
    const editor = await join();
    const anyone = await join();
    const id = 'edit-link-doc';
    await owner.api.documents.getOrCreate.mutate({ id });
    const key = (await owner.api.access.rotateLink.mutate({ id, role: 'editor' })).links?.editor as string;
    await editor.api.documents.submit.mutate({
      id,
      key,
      clientId: `${editor.me.authorId}.t`,
      seq: 1,
      baseVersion: 0,
      delta: insert('by link'),
    });
    expect(await failureOf(anyone.api.documents.get.query({ id }))).toMatchObject({ code: 'NOT_FOUND' });
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'view' });
    expect(deltaText((await anyone.api.documents.get.query({ id })).delta)).toBe('by link\n');
    expect(
      await failureOf(
        anyone.api.documents.submit.mutate({
          id,
          clientId: `${anyone.me.authorId}.t`,
          seq: 1,
          baseVersion: 1,
          delta: insert('!'),
        }),
      ),
    ).toMatchObject({ code: 'FORBIDDEN' });
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    expect(
      await anyone.api.documents.submit.mutate({
        id,
        clientId: `${anyone.me.authorId}.t`,
        seq: 1,
        baseVersion: 1,
        delta: insert('!'),
      }),
    ).toEqual({ version: 2 });
  });

  it('[A3] revoking a link ends its live streams within seconds; a rotated key no longer opens the document', async () => {
    const owner = await join();
    const viewer = await join();
    const id = 'revoke-doc';
    await owner.api.documents.getOrCreate.mutate({ id });
    const key = (await owner.api.access.rotateLink.mutate({ id, role: 'viewer' })).links?.viewer as string;
    const feed = followChanges(viewer.api, { id, key, sinceVersion: 0 });
    await feed.started;
    let presenceError: unknown;
    const presence = viewer.api.presence.stream.subscribe(
      { id, key, clientId: `${viewer.me.authorId}.p` },
      { onData: () => {}, onError: (error) => (presenceError = error) },
    );
    await sleep(200);
    expect(feed.error()).toBeUndefined();
    await owner.api.access.revokeLink.mutate({ id, role: 'viewer' });
    expect(await feedFailure(feed)).toMatchObject({ code: 'NOT_FOUND' });
    await waitFor(() => presenceError !== undefined, 'the presence stream to end');
    presence.unsubscribe();
    expect(await failureOf(viewer.api.documents.get.query({ id, key }))).toMatchObject({ code: 'NOT_FOUND' });
    // Lowering general access ends the streams it allowed.
    const reader = await join();
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'view' });
    const open = followChanges(reader.api, { id, sinceVersion: 0 });
    await open.started;
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'restricted' });
    expect(await feedFailure(open)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('[A4] a clientId under another principal is FORBIDDEN for submit and presence; the victim loses nothing', async () => {
    const victim = await join();
    const attacker = await join();
    const id = 'forgery-doc';
    await victim.api.documents.getOrCreate.mutate({ id });
    await victim.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    const victimClient = `${victim.me.authorId}.tab`;
    const forged = await Promise.all([
      failureOf(
        attacker.api.documents.submit.mutate({
          id,
          clientId: victimClient,
          seq: 1,
          baseVersion: 0,
          delta: insert('forged'),
        }),
      ),
      failureOf(
        attacker.api.documents.submit.mutate({
          id,
          clientId: 'no-prefix',
          seq: 1,
          baseVersion: 0,
          delta: insert('forged'),
        }),
      ),
      failureOf(
        attacker.api.presence.update.mutate({
          id,
          clientId: victimClient,
          user: { name: 'Fake', color: '#000000' },
          range: null,
          version: 0,
        }),
      ),
    ]);
    for (const refusal of forged) expect(refusal).toMatchObject({ code: 'FORBIDDEN', tag: 'Forbidden' });
    const stream = await new Promise<unknown>((resolve) => {
      const sub = attacker.api.presence.stream.subscribe(
        { id, clientId: victimClient },
        {
          onData: () => {},
          onError: (error) => {
            sub.unsubscribe();
            resolve(error);
          },
        },
      );
    });
    expect(String(stream)).toContain('clientId must start with');
    // The victim's own op with the same (clientId, seq) is committed, not taken for a duplicate.
    expect(
      await victim.api.documents.submit.mutate({
        id,
        clientId: victimClient,
        seq: 1,
        baseVersion: 0,
        delta: insert('mine'),
      }),
    ).toEqual({ version: 1 });
    expect(deltaText((await victim.api.documents.get.query({ id })).delta)).toBe('mine\n');
  });

  it("[A4] a presence leave or update touches only the caller's own entries, at most 4 per connection", async () => {
    const alice = await join();
    const watcher = await join();
    const id = 'presence-doc';
    await alice.api.documents.getOrCreate.mutate({ id });
    await alice.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    const aliceClient = `${alice.me.authorId}.tab`;
    const user = { name: 'Alice', color: '#123456' };
    await alice.api.presence.update.mutate({
      id,
      clientId: aliceClient,
      user,
      range: { index: 0, length: 0 },
      version: 0,
    });
    const seen = new Map<string, string>();
    const watch = watcher.api.presence.stream.subscribe(
      { id },
      {
        onData: ({ events }) => {
          for (const event of events)
            seen.set(event.type === 'leave' ? event.clientId : event.entry.clientId, event.type);
        },
      },
    );
    await waitFor(() => seen.get(aliceClient) === 'update', 'the watcher to see alice');
    // Alice's second tab on another connection (same session) opens and closes a stream under her first tab's id.
    const secondTab = wsApiAs(server.wsUrl, { cookie: alice.cookie });
    const sub = secondTab.api.presence.stream.subscribe({ id, clientId: aliceClient }, { onData: () => {} });
    await sleep(200);
    sub.unsubscribe();
    secondTab.close();
    await sleep(500);
    expect(seen.get(aliceClient)).toBe('update');
    // One connection shows at most 4 cursors.
    for (const n of [1, 2, 3]) {
      await alice.api.presence.update.mutate({
        id,
        clientId: `${alice.me.authorId}.extra${n}`,
        user,
        range: null,
        version: 0,
      });
    }
    expect(
      await failureOf(
        alice.api.presence.update.mutate({
          id,
          clientId: `${alice.me.authorId}.extra4`,
          user,
          range: null,
          version: 0,
        }),
      ),
    ).toMatchObject({ tag: 'LimitExceeded' });
    // Over HTTP, where every call is a new connection, the cap holds per principal.
    for (const n of [1, 2, 3, 4]) {
      await alice.http.presence.update.mutate({
        id,
        clientId: `${alice.me.authorId}.http${n}`,
        user,
        range: null,
        version: 0,
      });
    }
    expect(
      await failureOf(
        alice.http.presence.update.mutate({
          id,
          clientId: `${alice.me.authorId}.http5`,
          user,
          range: null,
          version: 0,
        }),
      ),
    ).toMatchObject({ tag: 'LimitExceeded' });
    watch.unsubscribe();
  });

  it('[A5] sockets and writes from a foreign Origin are refused; the own and configured origins pass', async () => {
    const owner = await join();
    const own = `http://127.0.0.1:${server.port}`;
    const legacyUrl = `ws://127.0.0.1:${server.port}/api/socket/ws/origin-doc`;
    expect(await upgradeStatus(server.wsUrl, { origin: 'https://evil.example', cookie: owner.cookie })).toBe(
      403,
    );
    expect(await upgradeStatus(legacyUrl, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(server.wsUrl, { origin: own, cookie: owner.cookie })).toBe(101);
    // The same host under another scheme is another origin.
    expect(await upgradeStatus(server.wsUrl, { origin: own.replace('http:', 'https:') })).toBe(403);
    expect(await upgradeStatus(legacyUrl, { origin: 'https://partner.example' })).toBe(101);
    const post = (origin: string) =>
      fetch(`${server.httpUrl}/trpc/documents.create`, {
        method: 'POST',
        headers: { origin, cookie: owner.cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `from-${origin.length}` }),
      });
    expect((await post('https://evil.example')).status).toBe(403);
    expect(await failureOf(owner.api.documents.get.query({ id: 'from-20' }))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await post(own)).status).toBe(200);
    // The seed's REST writes take JSON only: a cross-site form or text/plain body cannot make one.
    const plain = await fetch(`${server.httpUrl}/api/database/documents`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ id: 'plain-doc', Data: '{"ops":[{"insert":"x\\n"}]}' }),
    });
    expect(plain.status).toBe(415);
    expect((await fetch(`${server.httpUrl}/api/database/documents/get/plain-doc`)).status).toBe(404);
  });

  it('[A5] every answer carries nosniff and a Referrer-Policy', async () => {
    const response = await fetch(`${server.httpUrl}/healthz`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });

  it('[A7] content the editor cannot render is refused on every write path with InvalidOperation', async () => {
    const owner = await join();
    const id = 'content-doc';
    await owner.api.documents.create.mutate({ id, delta: insert('ok\n') });
    const clientId = `${owner.me.authorId}.t`;
    const bad = [
      { ops: [{ insert: { formula: 'e=mc^2' } }] },
      { ops: [{ insert: { bogus: 1 } }] },
      { ops: [{ insert: 'x', attributes: { link: 'javascript:alert(1)' } }] },
      { ops: [{ insert: 'x', attributes: { header: 9 } }] },
      { ops: [{ insert: 'x', attributes: { color: 'red;background:url(x)' } }] },
      { ops: [{ insert: 'x', attributes: { onclick: 'x' } }] },
      { ops: [{ insert: { image: 'http://insecure.example/x.png' } }] },
    ];
    for (const delta of bad) {
      expect(
        await failureOf(owner.api.documents.submit.mutate({ id, clientId, seq: 1, baseVersion: 0, delta })),
      ).toMatchObject({
        code: 'BAD_REQUEST',
        tag: 'InvalidOperation',
      });
    }
    expect(
      await failureOf(
        owner.api.documents.create.mutate({
          id: 'content-new',
          delta: { ops: [{ insert: { video: 'x' } }, { insert: '\n' }] },
        }),
      ),
    ).toMatchObject({ tag: 'InvalidOperation' });
    expect(
      await failureOf(
        owner.api.documents.update.mutate({
          id,
          delta: { ops: [{ insert: { formula: 'x' } }, { insert: '\n' }] },
        }),
      ),
    ).toMatchObject({ tag: 'InvalidOperation' });
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    const rest = await fetch(`${server.httpUrl}/api/database/documents/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        Data: JSON.stringify({ ops: [{ insert: { bogus: true } }, { insert: '\n' }] }),
      }),
    });
    expect(rest.status).toBe(400);
    const good = {
      ops: [
        { insert: 'fine', attributes: { bold: true, link: 'https://example.com', color: '#ff0000' } },
        { insert: { image: 'https://example.com/a.png' } },
      ],
    };
    expect(
      await owner.api.documents.submit.mutate({ id, clientId, seq: 1, baseVersion: 0, delta: good }),
    ).toEqual({ version: 1 });
    expect((await owner.api.documents.get.query({ id })).version).toBe(1);
  });

  it('[A8] the REST routes and the legacy socket reach exactly what general access allows, and create editable documents', async () => {
    const owner = await join();
    const rest = (path: string, init: RequestInit = {}) =>
      fetch(`${server.httpUrl}/api/database/documents${path}`, init);
    const put = (id: string, text: string) =>
      rest(`/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Data: JSON.stringify(insert(text)) }),
      });
    const id = 'compat-doc';
    await owner.api.documents.create.mutate({ id, delta: insert('private\n') });
    expect((await rest(`/get/${id}`)).status).toBe(404);
    expect((await put(id, 'overwritten\n')).status).toBe(404);
    const hidden = await LegacyClient.connect(server.port, id);
    hidden.sendFrame('get-document', '');
    expect((await hidden.closed).code).toBe(1008);
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'view' });
    expect((await rest(`/get/${id}`)).status).toBe(200);
    expect((await put(id, 'overwritten\n')).status).toBe(403);
    const reader = await LegacyClient.open(server.port, id);
    reader.sendFrame('changes-received', JSON.stringify({ ops: [{ insert: 'legacy ' }] }));
    await waitFor(() => reader.errors().length > 0, 'the legacy change to be refused');
    expect(reader.errors()[0]).toContain('not change it');
    await reader.close();
    expect(deltaText((await owner.api.documents.get.query({ id })).delta)).toBe('private\n');
    // Documents the seed's routes create are editable by anyone with the link, as in the seed.
    expect((await put('made-by-rest', 'seed\n')).status).toBe(200);
    const anyone = await join();
    expect(await anyone.api.access.get.query({ id: 'made-by-rest' })).toMatchObject({
      role: 'editor',
      generalAccess: 'edit',
    });
  });

  it('[A3] lowering general access closes the legacy sockets it let in', async () => {
    const owner = await join();
    const id = 'legacy-revoke-doc';
    await owner.api.documents.create.mutate({ id, delta: insert('open\n') });
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    const legacy = await LegacyClient.open(server.port, id);
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'view' });
    expect((await legacy.closed).code).toBe(1008);
    // Reconnecting gets what is still held: the document, read-only.
    const again = await LegacyClient.open(server.port, id);
    expect(deltaText(again.contents ?? { ops: [] })).toBe('open\n');
    await again.close();
  });

  it('[A7] the typed client refuses content outside the allowlist before it is sent', async () => {
    const client = createCollabClient({ url: server.wsUrl, WebSocket });
    const doc = await client.openDocument('client-allowlist');
    expect(() => doc.apply(new Delta().insert({ formula: 'x' }))).toThrow(
      /the embed "formula" is not supported/,
    );
    expect(doc.contents.ops).toEqual([{ insert: '\n' }]);
    doc.close();
    client.close();
  });

  it('[A8] a tRPC client with no credentials acts for the anonymous principal, under its authorId', async () => {
    const api = httpApi(server.httpUrl);
    expect(await api.session.me.query()).toMatchObject({ kind: 'session' });
    const anonymous = httpApiAs(server.httpUrl, {});
    const created = await anonymous.documents.create.mutate({ id: 'anon-doc' });
    expect(created.version).toBe(0);
    const ws = wsApiAs(server.wsUrl);
    expect(await ws.api.session.me.query()).toMatchObject({ authorId: 'anon', kind: 'anonymous' });
    expect(
      await ws.api.documents.submit.mutate({
        id: 'anon-doc',
        clientId: 'anon.x',
        seq: 1,
        baseVersion: 0,
        delta: insert('a'),
      }),
    ).toEqual({ version: 1 });
    ws.close();
  });
});

describe('[A5] allowed hosts', () => {
  let server: SqliteServer;
  beforeAll(async () => {
    server = await startSqliteServer({ ALLOWED_HOSTS: 'docs.example' });
  });
  afterAll(async () => {
    await server?.stopAndRemove();
  });

  it('[A5] with ALLOWED_HOSTS, a request or socket for another host (a rebound DNS name) is not answered', async () => {
    // fetch cannot set Host: a plain request can.
    const status = (host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const request = httpGet(
          { host: '127.0.0.1', port: server.port, path: '/healthz', headers: { host } },
          (response) => {
            response.resume();
            resolve(response.statusCode);
          },
        );
        request.once('error', reject);
      });
    expect(await status('docs.example')).toBe(200);
    expect(await status('rebound.example')).toBe(421);
    expect(await upgradeStatus(server.wsUrl, { host: 'docs.example' })).toBe(101);
    expect(await upgradeStatus(server.wsUrl, { host: 'rebound.example' })).toBe(403);
  });
});

describe('[A8] compatibility access off', () => {
  let server: SqliteServer;
  beforeAll(async () => {
    server = await startSqliteServer({ COMPAT_ACCESS: 'false' });
  });
  afterAll(async () => {
    await server?.stopAndRemove();
  });

  it('[A8] COMPAT_ACCESS=false: the REST routes and legacy socket reach nothing, and cannot create', async () => {
    const { cookie, me } = await browserSession(server.httpUrl);
    const owner = wsApiAs(server.wsUrl, { cookie });
    await owner.api.documents.create.mutate({ id: 'open-doc', delta: insert('open\n') });
    expect(await owner.api.access.get.query({ id: 'open-doc' })).toMatchObject({
      role: 'owner',
      generalAccess: 'edit',
    });
    expect(me.kind).toBe('session');
    expect((await fetch(`${server.httpUrl}/api/database/documents/get/open-doc`)).status).toBe(404);
    expect((await fetch(`${server.httpUrl}/api/database/documents/getorcreate/new-doc`)).status).toBe(403);
    const legacy = await LegacyClient.connect(server.port, 'open-doc');
    legacy.sendFrame('get-document', '');
    expect((await legacy.closed).code).toBe(1008);
    owner.close();
  });
});
