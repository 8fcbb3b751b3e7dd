/**
 * docker-compose.yml without containers: each compose service is started as the program its image
 * runs (redis-server, DynamoDB Local, `node apps/server/dist/main.js`, `node apps/web/build`,
 * nginx with the repo's template), with the environment compose gives it. Only the addresses
 * change: compose's service names (`redis:6379`, `dynamodb:8000` ...) become 127.0.0.1 ports.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisPing, startDynamoDbLocal } from '@collab/server/testing';
import { type RunningNginx, startNginx } from '../../support/nginx.js';
import { repoRoot } from '../../support/repo.js';
import { type ComposeService, loadCompose, serviceEnvironment } from './compose.js';
import { httpOk, type ManagedProcess, spawnManaged, waitUntil } from './processes.js';

export const serverEntry = join(repoRoot, 'apps/server/dist/main.js');
export const webEntry = join(repoRoot, 'apps/web/build');

export interface ServerInstance {
  /** `127.0.0.1:PORT`, as nginx's upstream sees it. */
  readonly address: string;
  /** `http://127.0.0.1:PORT`: the instance directly, bypassing nginx. */
  readonly url: string;
  readonly process: ManagedProcess;
}

export interface StackOptions {
  /** Server instances behind nginx (compose: `--scale server=N`). Default 2. */
  readonly serverInstances?: number;
  /** Server variables that replace compose's (e.g. `STORAGE: 'sqlite'`). */
  readonly serverEnv?: Record<string, string>;
}

export interface Stack {
  /** nginx: the only address a user of the deploy sees. */
  readonly url: string;
  readonly nginx: RunningNginx;
  readonly servers: readonly ServerInstance[];
  readonly web: { readonly url: string; readonly process: ManagedProcess };
  readonly redis: { readonly url: string; readonly process: ManagedProcess };
  readonly dynamodb: { readonly endpoint: string } | undefined;
  /** The environment every server instance got (PORT aside). */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** Stops everything this stack started; safe to call more than once. */
  stop(): Promise<void>;
}

interface Context {
  readonly compose: Record<string, ComposeService>;
  readonly options: StackOptions;
  readonly tempDir: string;
  /** compose `host:port` → local `127.0.0.1:port`, filled as services start. */
  readonly addresses: Map<string, string>;
  readonly cleanups: Array<() => Promise<unknown>>;
  readonly started: {
    -readonly [K in keyof Omit<Stack, 'stop' | 'url'>]?: Stack[K];
  };
}

function composeService(context: Context, name: string): ComposeService {
  const found = context.compose[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** Compose's environment for a service, with other services' names replaced by local addresses. */
function localEnvironment(context: Context, name: string): Record<string, string> {
  const env = serviceEnvironment(composeService(context, name));
  for (const [key, value] of Object.entries(env)) {
    let local = value;
    for (const [composeAddress, localAddress] of context.addresses) {
      local = local.replaceAll(`//${composeAddress}`, `//${localAddress}`);
    }
    env[key] = local;
  }
  return env;
}

function exposedPort(context: Context, name: string): string {
  const port = composeService(context, name).expose?.[0];
  if (port === undefined) throw new Error(`compose service ${name} exposes no port`);
  return String(port);
}

/** How each compose service runs without a container, in the order they start. */
const nativeServices = {
  async redis(context: Context) {
    const command = composeService(context, 'redis').command;
    const args = Array.isArray(command) ? command : (command ?? 'redis-server').split(' ');
    const port = await freePort();
    const child = spawnManaged(
      'redis-server',
      args[0] ?? 'redis-server',
      [...args.slice(1), '--port', String(port), '--bind', '127.0.0.1', '--dir', context.tempDir],
      { env: {} },
    );
    context.cleanups.push(() => child.stop('SIGTERM'));
    await waitUntil('redis-server to answer PING', () => redisPing(port), { process: child });
    context.addresses.set(`redis:${exposedPort(context, 'redis')}`, `127.0.0.1:${port}`);
    context.started.redis = { url: `redis://127.0.0.1:${port}`, process: child };
  },

  async dynamodb(context: Context) {
    const storage =
      context.options.serverEnv?.STORAGE ?? serviceEnvironment(composeService(context, 'server')).STORAGE;
    // The server only needs DynamoDB when compose's storage is kept.
    if (storage !== 'dynamodb') return;
    const dynamodb = await startDynamoDbLocal();
    context.cleanups.push(() => dynamodb.stop());
    context.addresses.set(`dynamodb:${exposedPort(context, 'dynamodb')}`, `127.0.0.1:${dynamodb.port}`);
    context.started.dynamodb = { endpoint: dynamodb.endpoint };
  },

  async server(context: Context) {
    if (!existsSync(serverEntry)) throw new Error(`${serverEntry} is missing: run \`pnpm run build\` first`);
    const env = {
      ...localEnvironment(context, 'server'),
      SQLITE_PATH: join(context.tempDir, 'collab.sqlite'),
      ...context.options.serverEnv,
      // In a container it listens on 0.0.0.0; here, loopback only.
      HOST: '127.0.0.1',
    };
    context.started.serverEnv = env;
    const count = context.options.serverInstances ?? 2;
    const instances: ServerInstance[] = [];
    // One at a time, as compose would start replicas that create tables on first start.
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const child = spawnManaged(`server #${i + 1}`, 'node', [serverEntry], {
        env: { ...env, PORT: String(port) },
        cwd: repoRoot,
      });
      context.cleanups.push(() => child.stop('SIGTERM'));
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(`server #${i + 1} /healthz`, () => httpOk(`${url}/healthz`), {
        process: child,
        timeoutMs: 60_000,
      });
      instances.push({ address: `127.0.0.1:${port}`, url, process: child });
    }
    context.started.servers = instances;
  },

  async web(context: Context) {
    if (!existsSync(join(webEntry, 'index.js'))) {
      throw new Error(`${webEntry}/index.js is missing: run \`pnpm run build\` first`);
    }
    const port = await freePort();
    const child = spawnManaged('web', 'node', [webEntry], {
      env: { ...localEnvironment(context, 'web'), PORT: String(port), HOST: '127.0.0.1' },
      cwd: repoRoot,
    });
    context.cleanups.push(() => child.stop('SIGTERM'));
    const url = `http://127.0.0.1:${port}`;
    await waitUntil('the web app to answer /', () => httpOk(`${url}/`), { process: child });
    context.started.web = { url, process: child };
  },

  async nginx(context: Context) {
    const servers = context.started.servers ?? [];
    const web = context.started.web;
    if (!web) throw new Error('nginx needs the web app');
    const nginx = await startNginx({
      upstreams: { server: servers.map((server) => server.address), web: web.url.replace('http://', '') },
      env: serviceEnvironment(composeService(context, 'nginx')),
    });
    context.cleanups.push(() => nginx.stop());
    context.started.nginx = nginx;
  },
} satisfies Record<string, (context: Context) => Promise<void>>;

/** The compose services that tests also run without containers. */
export const nativeServiceNames: readonly string[] = Object.keys(nativeServices);

/** Starts the whole deploy on this machine; stops what it started if any part fails to start. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const context: Context = {
    compose: loadCompose().services,
    options,
    tempDir: await mkdtemp(join(tmpdir(), 'collab-stack-')),
    addresses: new Map(),
    cleanups: [],
    started: {},
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Reverse start order: nginx first, backing services last.
    const errors: unknown[] = [];
    for (const cleanup of context.cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    await rm(context.tempDir, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  };
  try {
    for (const start of Object.values(nativeServices)) await start(context);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const { nginx, servers, web, redis, dynamodb, serverEnv } = context.started;
  if (!nginx || !servers || !web || !redis || !serverEnv)
    throw new Error('the stack did not start completely');
  return { url: nginx.url, nginx, servers, web, redis, dynamodb, serverEnv, stop };
}
