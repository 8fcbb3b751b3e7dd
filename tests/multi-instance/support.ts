import { type CollabClient, createCollabClient, type DocumentSession } from '@collab/client';
import { type DynamoDbLocal, startDynamoDbLocal, tempDir } from '@collab/server/testing';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../support/editing.js';
import { type CuttableLink, startLink } from '../support/proxy.js';
import type { RedisServer } from '../support/redis.js';
import { type ServerProcess, startServer } from '../support/server.js';

export type StorageKind = 'sqlite' | 'dynamodb';

/**
 * The storages the suite runs on. DynamoDB needs DynamoDB Local (Java) and a server that supports
 * `STORAGE=dynamodb`; when the server refuses it, those tests are skipped with a note.
 */
export const storages: StorageKind[] = ['sqlite', 'dynamodb'];

/** One shared database for every instance, started once per suite. */
export interface SharedStorage {
  readonly kind: StorageKind;
  /** Environment that points a server at it. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startStorage(kind: StorageKind): Promise<SharedStorage> {
  if (kind === 'sqlite') {
    const dir = await tempDir('collab-multi-');
    // SQLite in WAL mode lets several processes share the file; a lost race surfaces as VersionTaken.
    return {
      kind,
      env: { STORAGE: 'sqlite', SQLITE_PATH: `${dir.path}/collab.sqlite` },
      stop: () => dir.remove(),
    };
  }
  const dynamo: DynamoDbLocal = await startDynamoDbLocal();
  return {
    kind,
    env: {
      STORAGE: 'dynamodb',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      DYNAMODB_CREATE_TABLES: 'true',
    },
    stop: () => dynamo.stop(),
  };
}

/** Several server processes over one storage and one Redis. */
export interface Cluster {
  readonly instances: ServerProcess[];
  /** Starts one more instance (or restarts one on a given port). */
  add(options?: { env?: Record<string, string>; port?: number }): Promise<ServerProcess>;
  stop(): Promise<void>;
}

export async function startCluster(options: {
  count: number;
  storage: SharedStorage;
  redis: RedisServer;
  env?: Record<string, string>;
}): Promise<Cluster> {
  const instances: ServerProcess[] = [];
  const add = async (extra: { env?: Record<string, string>; port?: number } = {}) => {
    const server = await startServer({
      env: { ...options.storage.env, REDIS_URL: options.redis.url, ...options.env, ...extra.env },
      ...(extra.port ? { port: extra.port } : {}),
    });
    instances.push(server);
    return server;
  };
  const cluster: Cluster = {
    instances,
    add,
    stop: async () => {
      await Promise.all(instances.map((server) => server.stop('SIGKILL')));
    },
  };
  try {
    // One after the other: the first one creates DynamoDB tables, the others find them.
    for (let i = 0; i < options.count; i++) await add();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Whether the built server accepts this storage (DynamoDB may not be wired in yet). */
export function unsupportedStorage(error: unknown): boolean {
  return error instanceof Error && /not available yet/.test(error.message);
}

/** A client editing one document through a link it can lose or move to another instance. */
export interface Editor {
  readonly name: string;
  readonly client: CollabClient;
  readonly session: DocumentSession;
  readonly link: CuttableLink;
  /** The instance the link points at. */
  instance: ServerProcess;
}

export async function openEditor(name: string, instance: ServerProcess, docId: string): Promise<Editor> {
  const link = await startLink(instance.port);
  const client = createCollabClient({
    url: `ws://127.0.0.1:${link.port}/trpc`,
    WebSocket,
    retryDelayMs: () => 50,
  });
  try {
    const session = await client.openDocument(docId);
    return { name, client, session, link, instance };
  } catch (error) {
    client.close();
    await link.close();
    throw error;
  }
}

/** Points an editor's link at another instance; its open connection is cut so that it reconnects there. */
export function moveEditor(editor: Editor, to: ServerProcess): void {
  editor.link.retarget(to.port);
  editor.instance = to;
  editor.link.cut();
  editor.link.restore();
}

export async function closeEditors(editors: readonly Editor[]): Promise<void> {
  for (const editor of editors) {
    editor.client.close();
    await editor.link.close();
  }
}

/** A plain client per instance, to ask each one directly. */
export function directClient(instance: ServerProcess): CollabClient {
  return createCollabClient({ url: instance.wsUrl, WebSocket, retryDelayMs: () => 50 });
}

const text = (ops: readonly object[]) =>
  ops.map((op) => ('insert' in op && typeof op.insert === 'string' ? op.insert : '')).join('');

/**
 * Waits until every edit is acknowledged, every live instance serves the same version and every editor sits
 * at that version; then checks that editors and instances hold the same contents [C5].
 */
export async function expectConverged(
  docId: string,
  editors: readonly Editor[],
  observers: readonly CollabClient[],
) {
  await waitFor(
    () =>
      editors.every((e) => e.session.status.pendingEdits === 0 && e.session.status.connection === 'online'),
    `every edit acknowledged (${editors.map((e) => `${e.name}:${e.session.status.pendingEdits}/${e.session.status.connection}`).join(' ')})`,
    30_000,
  );
  let snapshots: Awaited<ReturnType<CollabClient['api']['documents']['get']['query']>>[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    snapshots = await Promise.all(observers.map((o) => o.api.documents.get.query({ id: docId })));
    const head = Math.max(...snapshots.map((s) => s.version));
    if (snapshots.every((s) => s.version === head) && editors.every((e) => e.session.version === head)) break;
    if (Date.now() > deadline) {
      throw new Error(
        `no convergence: instances at ${snapshots.map((s) => s.version).join(', ')}, editors at ${editors
          .map((e) => e.session.version)
          .join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [stored] = snapshots;
  if (!stored) throw new Error('no observer');
  for (const snapshot of snapshots) expect(snapshot.delta.ops).toEqual(stored.delta.ops);
  for (const editor of editors) expect(editor.session.contents.ops).toEqual(stored.delta.ops);
  return { ...stored, text: text(stored.delta.ops) };
}

/** Every committed op, oldest first, read a page at a time. */
export async function committedOps(api: CollabClient['api'], docId: string) {
  const ops = [];
  let from = 0;
  for (;;) {
    const page = await api.documents.history.query({ id: docId, fromVersion: from });
    ops.push(...page.ops);
    if (page.nextFromVersion === null) break;
    from = page.nextFromVersion;
  }
  return ops;
}

/** [D2] versions are 1..head with no gap and [C3] no op was committed twice. */
export async function expectCleanHistory(api: CollabClient['api'], docId: string, head: number) {
  const ops = await committedOps(api, docId);
  expect(ops.map((op) => op.version)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  const ids = ops.map((op) => `${op.clientId}/${op.seq}`);
  expect(new Set(ids).size).toBe(ids.length);
  return ops;
}
