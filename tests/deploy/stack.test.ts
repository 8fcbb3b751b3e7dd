/**
 * The compose deploy without containers: every service of docker-compose.yml runs as the program its
 * image runs, with the environment compose gives it (DynamoDB storage, Redis between two server
 * instances, the web app, nginx with the repository's template). Only addresses differ.
 */
import { spawnSync } from 'node:child_process';
import { createCollabClient, Delta } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomEdit, seededRandom, sleep, waitFor } from '../support/editing.js';
import { expectConverged } from '../support/history.js';
import { loadCompose } from './support/compose.js';
import { type Stack, startStack } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ serverInstances: 2 });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const nginxWs = () => `${stack.url.replace(/^http/, 'ws')}/trpc`;

/** A compose health check command (`CMD ...` form), as the container would run it. */
function healthcheck(service: string): string[] {
  const test = loadCompose().services[service]?.healthcheck?.test;
  if (!Array.isArray(test) || test[0] !== 'CMD') throw new Error(`${service}: expected a CMD health check`);
  return test.slice(1);
}

describe('the compose deploy, run without containers', () => {
  it('runs the servers with compose storage and Redis settings', () => {
    expect(stack.serverEnv.STORAGE).toBe('dynamodb');
    expect(stack.serverEnv.DYNAMODB_ENDPOINT).toBe(stack.dynamodb?.endpoint);
    expect(stack.serverEnv.REDIS_URL).toBe(stack.redis.url);
  });

  it("passes compose's health checks", () => {
    const run = (command: string[]) => spawnSync(command[0] ?? '', command.slice(1), { encoding: 'utf8' });
    for (const server of stack.servers) {
      const port = server.address.split(':')[1];
      const command = healthcheck('server').map((word) =>
        word.replace('127.0.0.1:8000', `127.0.0.1:${port}`),
      );
      expect(run(command).status, server.address).toBe(0);
    }
    const webPort = new URL(stack.web.url).port;
    const web = healthcheck('web').map((word) => word.replace('127.0.0.1:3000', `127.0.0.1:${webPort}`));
    expect(run(web).status).toBe(0);
    const redisPort = new URL(stack.redis.url).port;
    const redis = healthcheck('redis');
    expect(redis[0]).toBe('redis-cli');
    const pong = run([redis[0] ?? '', '-p', redisPort, ...redis.slice(1)]);
    expect(pong.stdout.trim()).toBe('PONG');
  });

  it('stores documents in DynamoDB that every instance serves, over tRPC and REST through nginx', async () => {
    const id = 'stack-shared-doc';
    const delta = { ops: [{ insert: 'stored in DynamoDB\n' }] };
    const created = await fetch(`${stack.url}/trpc/documents.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, delta }),
    });
    expect(created.status).toBe(200);
    await created.arrayBuffer();
    for (const server of stack.servers) {
      const input = encodeURIComponent(JSON.stringify({ id }));
      const direct = await fetch(`${server.url}/trpc/documents.get?input=${input}`);
      expect(direct.status, server.address).toBe(200);
      expect(((await direct.json()) as { result: { data: unknown } }).result.data).toEqual({
        id,
        version: 0,
        delta,
      });
    }
    for (let i = 0; i < 4; i++) {
      const rest = await fetch(`${stack.url}/api/database/documents/get/${id}`);
      expect(rest.status).toBe(200);
      const body = JSON.parse((await rest.json()) as string) as { id: string; Data: string };
      expect(JSON.parse(body.Data)).toEqual(delta);
    }
  });

  it('[S4] an edit made on one instance reaches a client of the other through Redis', async () => {
    const [first, second] = stack.servers;
    if (!first || !second) throw new Error('two instances expected');
    const writer = createCollabClient({ url: `${first.url.replace('http', 'ws')}/trpc`, WebSocket });
    const reader = createCollabClient({ url: `${second.url.replace('http', 'ws')}/trpc`, WebSocket });
    try {
      const id = 'stack-cross-instance';
      const writing = await writer.openDocument(id);
      const reading = await reader.openDocument(id);
      writing.apply(new Delta().insert('from instance one'));
      await waitFor(() => reading.version === 1, 'the other instance to deliver the edit');
      expect(reading.contents.ops).toEqual([{ insert: 'from instance one\n' }]);
    } finally {
      writer.close();
      reader.close();
    }
  });

  it('[S4][C5] typed clients spread over both instances by nginx converge', async () => {
    const id = 'stack-converge';
    const clients = Array.from({ length: 6 }, () =>
      createCollabClient({ url: nginxWs(), WebSocket, retryDelayMs: () => 50 }),
    );
    try {
      const sessions = await Promise.all(clients.map((client) => client.openDocument(id)));
      const random = seededRandom(20261126);
      for (let round = 0; round < 60; round++) {
        sessions.forEach((session, index) => {
          if (random() < 0.6) session.apply(randomEdit(session, random, `<${index}>`));
        });
        await sleep(random() * 25);
      }
      const stored = await expectConverged(
        id,
        sessions.map((session) => ({ session })),
        [clients[0]!],
      );
      // Edits made while one is in flight are sent composed [C4]: fewer versions than edits, but at
      // least one from every client.
      expect(stored.version).toBeGreaterThanOrEqual(clients.length);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('[S5] stops every server instance cleanly on SIGTERM, as `docker compose stop` does', async () => {
    for (const server of stack.servers) {
      expect(await server.process.stop('SIGTERM'), server.process.output()).toBe(0);
    }
  });
});
