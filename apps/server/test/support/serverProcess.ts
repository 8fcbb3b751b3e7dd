import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A real server process: the production build (`dist/main.js`), as deployed. */
export interface ServerProcess {
  readonly port: number;
  /** `http://127.0.0.1:port` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:port/trpc` */
  readonly wsUrl: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and waits for the exit; resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartServerOptions {
  /** Extra environment (STORAGE, SQLITE_PATH, REDIS_URL, …); LOG_LEVEL must stay info or debug, since the port is read from the "listening" log line. */
  readonly env?: Record<string, string>;
  /** A fixed port (to restart on the same address); 0 picks a free one. */
  readonly port?: number;
  /** Options for node itself, before the entry file (`--cpu-prof` is not allowed in NODE_OPTIONS). */
  readonly nodeArgs?: readonly string[];
}

/** The server package's root, from this file (test/support/ → ../../). */
const serverRoot = fileURLToPath(new URL('../../', import.meta.url));
const serverEntry = join(serverRoot, 'dist/main.js');

/** Starts the server and resolves once it listens, with the port it reported in its log. */
export function startServer(options: StartServerOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), serverEntry], {
    cwd: serverRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: String(options.port ?? 0),
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening","port":(\d+)/.exec(output);
      if (!match) return;
      child.stderr?.off('data', onData);
      child.stdout?.off('data', onData);
      const append = (more: Buffer) => {
        output += more.toString();
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
      const port = Number(match[1]);
      resolve({
        port,
        httpUrl: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}/trpc`,
        child,
        output: () => output,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`server exited with code ${code} before listening:\n${output}`)),
    );
  });
}
