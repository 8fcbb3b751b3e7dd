import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports.js';

/** A real redis-server, in memory only (no RDB, no AOF), on 127.0.0.1. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL); its data is gone. Safe to call twice. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a fresh server on the same port (after `stop`, or stopping it first). */
  restart(): Promise<void>;
  /** Everything the current process printed. */
  output(): string;
}

export interface StartRedisOptions {
  /** A fixed port; a free one otherwise. */
  readonly port?: number;
  /** How long to wait for PONG. */
  readonly readyTimeoutMs?: number;
}

const binary = process.env.REDIS_SERVER ?? 'redis-server';
const bindAttempts = 3;

/** Starts redis-server on a free port (trying another when the port is taken) and waits until it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= (options.port ? 1 : bindAttempts); attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await open(port, options.readyTimeoutMs ?? 10_000);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output: string;
}

function spawnRedis(port: number): Running {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const running: Running = {
    child,
    output: '',
    exited: new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    }),
  };
  const keep = (chunk: Buffer) => {
    running.output = (running.output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // Never leave a server behind if the test process ends abruptly.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void running.exited.then(() => process.removeListener('exit', killOnExit));
  return running;
}

async function open(port: number, readyTimeoutMs: number): Promise<RedisServer> {
  let current = spawnRedis(port);
  await waitForPong(port, current, readyTimeoutMs);

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const { child, exited } = current;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(force);
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: async () => {
      await stop();
      current = spawnRedis(port);
      await waitForPong(port, current, readyTimeoutMs);
    },
    output: () => current.output,
  };
}

/** Sends PING until `+PONG` comes back; fails early when the process exits (port taken, missing binary). */
async function waitForPong(port: number, running: Running, timeoutMs: number): Promise<void> {
  let dead = false;
  void running.exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (dead) throw new Error(`redis-server exited before answering on port ${port}:\n${running.output}`);
    if (await redisPing(port)) return;
    if (Date.now() > deadline) {
      running.child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port}:\n${running.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves true when a Redis server at host:port answers PING with PONG (false on error or after 2 s). */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
