/**
 * Debian's nginx with the repository's template, in front of two server instances (one shared SQLite
 * file, so both serve the same documents) and the web app: everything a browser or an old client does
 * goes through nginx here, as it does in the compose deploy.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createCollabClient, Delta } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomEdit, seededRandom, sleep, waitFor } from '../support/editing.js';
import { expectConverged } from '../support/history.js';
import { type Stack, startStack, webEntry } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ serverInstances: 2, serverEnv: { STORAGE: 'sqlite' } });
});

afterAll(async () => {
  await stack?.stop();
});

const wsUrl = (path: string) => `${stack.url.replace(/^http/, 'ws')}${path}`;

function trpcQueryUrl(path: string, input: unknown): string {
  return `${stack.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
}

async function trpcMutation(path: string, input: unknown): Promise<Response> {
  return fetch(`${stack.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
}

interface AccessLogEntry {
  method: string;
  uri: string;
  status: number;
  /** Every instance nginx tried for the request, in order. */
  upstreams: string[];
}

async function accessLog(): Promise<AccessLogEntry[]> {
  return (await stack.nginx.accessLog()).map((line) => {
    const [method = '', uri = '', status = '0', ...rest] = line.split(' ');
    return { method, uri, status: Number(status), upstreams: rest.join(' ').match(/[\d.]+:\d+/g) ?? [] };
  });
}

/** The instances nginx used for requests whose URI starts with `prefix`. */
async function upstreamsUsed(prefix: string, entries?: AccessLogEntry[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (const entry of entries ?? (await accessLog())) {
    if (entry.uri.startsWith(prefix)) for (const address of entry.upstreams) used.add(address);
  }
  return used;
}

/** Opens a WebSocket through nginx and resolves with it once open, or rejects with the refusal. */
function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve, reject) => {
    socket.once('message', (data) => resolve(JSON.parse(data.toString())));
    socket.once('close', (code) => reject(new Error(`socket closed (${code}) before a message`)));
  });
}

describe('nginx in front of two server instances and the web app', () => {
  it('serves the web app on /', async () => {
    const response = await fetch(`${stack.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('/_app/immutable/');
  });

  it('compresses pages and static assets with gzip', async () => {
    const page = await fetch(`${stack.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    await page.arrayBuffer();
    expect(page.headers.get('content-encoding')).toBe('gzip');
    expect(page.headers.get('vary')).toMatch(/accept-encoding/i);
    // The web app itself sends its pages uncompressed: the gzip above is nginx's.
    const direct = await fetch(`${stack.web.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    await direct.arrayBuffer();
    expect(direct.headers.get('content-encoding')).toBeNull();

    const clientDir = join(webEntry, 'client');
    const script = findFile(clientDir, (file) => file.endsWith('.js') && statSync(file).size > 4096);
    const asset = await fetch(`${stack.url}/${relative(clientDir, script)}`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    await asset.arrayBuffer();
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('content-encoding')).toBe('gzip');
  });

  it('compresses JSON answers of the API', async () => {
    const id = 'nginx-gzip-json';
    const created = await trpcMutation('documents.create', {
      id,
      delta: { ops: [{ insert: `${'compressible text '.repeat(200)}\n` }] },
    });
    expect(created.status).toBe(200);
    const response = await fetch(trpcQueryUrl('documents.get', { id }), {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const body = (await response.json()) as { result: { data: { id: string } } };
    expect(body.result.data.id).toBe(id);
  });

  it('answers tRPC over HTTP: a mutation and a query, whichever instance serves each', async () => {
    const id = 'nginx-trpc-http';
    const delta = { ops: [{ insert: 'Hello through nginx\n' }] };
    const created = await trpcMutation('documents.create', { id, delta });
    expect(created.status).toBe(200);
    expect(((await created.json()) as { result: { data: unknown } }).result.data).toEqual({
      id,
      version: 0,
      delta,
    });
    // Several reads: nginx spreads them over both instances, and both read the shared database.
    for (let i = 0; i < 4; i++) {
      const response = await fetch(trpcQueryUrl('documents.get', { id }));
      expect(response.status).toBe(200);
      expect(((await response.json()) as { result: { data: unknown } }).result.data).toEqual({
        id,
        version: 0,
        delta,
      });
    }
  });

  it('[S4] spreads requests over every server instance', async () => {
    for (let i = 0; i < 6; i++) {
      const response = await fetch(trpcQueryUrl('documents.get', { id: 'nginx-balance' }));
      await response.arrayBuffer();
    }
    const used = await upstreamsUsed('/trpc/documents.get');
    for (const server of stack.servers) expect(used).toContain(server.address);
  });

  it('answers the REST routes: create, read and replace, through either instance', async () => {
    const id = 'nginx-rest-doc';
    const data = (text: string) => JSON.stringify({ ops: [{ insert: `${text}\n` }] });
    const readBack = async () => {
      const response = await fetch(`${stack.url}/api/database/documents/get/${id}`);
      expect(response.status).toBe(200);
      // The seed's shape: a JSON string holding {"id", "Data"}, Data being the delta as JSON text.
      const body = JSON.parse((await response.json()) as string) as { id: string; Data: string };
      expect(body.id).toBe(id);
      return JSON.parse(body.Data) as unknown;
    };

    const created = await fetch(`${stack.url}/api/database/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, Data: data('created over REST') }),
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toEqual({ message: 'Document created successfully', document_id: id });
    // Several reads: nginx spreads them over both instances, and both read the shared database.
    for (let i = 0; i < 4; i++) expect(await readBack()).toEqual(JSON.parse(data('created over REST')));

    const replaced = await fetch(`${stack.url}/api/database/documents/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Data: data('replaced over REST') }),
    });
    expect(replaced.status).toBe(200);
    await replaced.arrayBuffer();
    for (let i = 0; i < 4; i++) expect(await readBack()).toEqual(JSON.parse(data('replaced over REST')));

    const opened = await fetch(`${stack.url}/api/database/documents/getorcreate/nginx-rest-new`);
    expect(opened.status).toBe(200);
    await opened.arrayBuffer();
    const missing = await fetch(`${stack.url}/api/database/documents/get/nginx-rest-missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ Error: 'Document not found' });
  });

  it('passes request bodies well over 1 MB (a 3 MB document) to the server', async () => {
    const id = 'nginx-big-doc';
    const text = 'x'.repeat(3 * 1024 * 1024);
    const created = await trpcMutation('documents.create', { id, delta: { ops: [{ insert: `${text}\n` }] } });
    expect(created.status).toBe(200);
    const read = await fetch(trpcQueryUrl('documents.get', { id }));
    const body = (await read.json()) as { result: { data: { delta: { ops: Array<{ insert: string }> } } } };
    expect(body.result.data.delta.ops[0]?.insert.length).toBe(text.length + 1);
  });

  it("lets the server refuse bodies over its own 8 MiB limit, and refuses bodies over nginx's", async () => {
    // 9 MiB: within nginx's limit, so the server answers with its own JSON error.
    const overServer = await trpcMutation('documents.create', {
      id: 'nginx-too-big',
      delta: { ops: [{ insert: `${'y'.repeat(9 * 1024 * 1024)}\n` }] },
    });
    expect(overServer.status).toBe(413);
    expect(overServer.headers.get('content-type')).toMatch(/json/);
    await overServer.arrayBuffer();
    // Over NGINX_CLIENT_MAX_BODY_SIZE (16m): nginx answers without troubling the server.
    const overNginx = await trpcMutation('documents.create', {
      id: 'nginx-far-too-big',
      delta: { ops: [{ insert: `${'z'.repeat(17 * 1024 * 1024)}\n` }] },
    });
    expect(overNginx.status).toBe(413);
    expect(await overNginx.text()).toContain('nginx');
  });

  it('upgrades /trpc to a WebSocket: the typed client queries, edits and follows changes', async () => {
    const client = createCollabClient({ url: wsUrl('/trpc'), WebSocket });
    try {
      const session = await client.openDocument('nginx-ws-trpc');
      session.apply(new Delta().insert('typed over nginx'));
      await waitFor(() => session.status.pendingEdits === 0, 'the edit acknowledged through nginx');
      const stored = await client.api.documents.get.query({ id: 'nginx-ws-trpc' });
      expect(stored.version).toBe(1);
      expect(stored.delta.ops).toEqual([{ insert: 'typed over nginx\n' }]);
      expect(session.contents.ops).toEqual(stored.delta.ops);
    } finally {
      client.close();
    }
  });

  it('upgrades /api/socket/ws/{id} to the legacy WebSocket', async () => {
    const id = 'nginx-legacy-socket';
    await trpcMutation('documents.create', { id, delta: { ops: [{ insert: 'legacy\n' }] } });
    const socket = await openSocket(wsUrl(`/api/socket/ws/${id}`));
    try {
      const reply = nextMessage(socket);
      socket.send(JSON.stringify({ key: 'get-document', value: id }));
      const message = (await reply) as { key: string; value: unknown };
      expect(message.key).toBe('db-document');
      expect(JSON.stringify(message.value)).toContain('legacy');
    } finally {
      socket.close();
    }
  });

  it("forwards the client's protocol and host: the web app's origin check accepts nginx's origin only", async () => {
    const post = (origin: string) =>
      fetch(`${stack.url}/`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      });
    const sameOrigin = await post(stack.url);
    await sameOrigin.arrayBuffer();
    // Past the origin check: the page has no form actions.
    expect(sameOrigin.status).not.toBe(403);
    const otherScheme = await post(stack.url.replace('http:', 'https:'));
    await otherScheme.arrayBuffer();
    expect(otherScheme.status).toBe(403);
    const otherHost = await post('http://elsewhere.example');
    await otherHost.arrayBuffer();
    expect(otherHost.status).toBe(403);
  });

  it('[C5] several typed clients editing one document through nginx converge', async () => {
    const id = 'nginx-converge';
    const logged = (await accessLog()).length;
    const clients = Array.from({ length: 4 }, () =>
      createCollabClient({ url: wsUrl('/trpc'), WebSocket, retryDelayMs: () => 50 }),
    );
    try {
      const sessions = await Promise.all(clients.map((client) => client.openDocument(id)));
      const random = seededRandom(4242);
      for (let round = 0; round < 40; round++) {
        sessions.forEach((session, index) => {
          if (random() < 0.7) session.apply(randomEdit(session, random, `<${index}>`));
        });
        await sleep(random() * 20);
      }
      await expectConverged(
        id,
        sessions.map((session) => ({ session })),
        [clients[0]!],
      );
    } finally {
      for (const client of clients) client.close();
    }
    // nginx logs a WebSocket when it closes: the clients' sockets were spread over both instances.
    let sockets: AccessLogEntry[] = [];
    const deadline = Date.now() + 10_000;
    while (sockets.length < clients.length) {
      if (Date.now() > deadline) throw new Error('the closed sockets never reached the access log');
      await sleep(20);
      sockets = (await accessLog())
        .slice(logged)
        .filter((e) => e.uri.startsWith('/trpc') && e.status === 101);
    }
    expect(new Set(sockets.flatMap((entry) => entry.upstreams))).toEqual(
      new Set(stack.servers.map((server) => server.address)),
    );
  });

  it('[S5] keeps answering through the other instance when one shuts down', async () => {
    const [first, second] = stack.servers;
    if (!first || !second) throw new Error('two instances expected');
    expect(await first.process.stop('SIGTERM')).toBe(0);
    for (let i = 0; i < 4; i++) {
      const response = await fetch(trpcQueryUrl('documents.get', { id: 'nginx-trpc-http' }));
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
  });
});

function findFile(dir: string, matches: (file: string) => boolean): string {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, matches);
      if (found) return found;
    } else if (matches(path)) {
      return path;
    }
  }
  return '';
}
