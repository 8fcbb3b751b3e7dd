/** Child processes that a test starts and must stop, even when the test fails or the run dies. */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const outputTailChars = 16_384;
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** The last few KB of stdout and stderr, for error messages. */
  output(): string;
  /** Exit code once exited (null after a signal); undefined while running. */
  exitCode(): number | null | undefined;
  readonly exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM by default), then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string },
): ManagedProcess {
  const child = spawn(command, args, {
    // Only what the test gives, plus PATH: a developer's shell variables must not change the run.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-outputTailChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode) => {
      code = exitCode;
      live.delete(child);
      resolve(exitCode);
    });
    child.once('error', (error) => {
      output += `\n${name}: ${error.message}`;
      code = null;
      live.delete(child);
      resolve(null);
    });
  });
  return {
    name,
    pid: child.pid,
    output: () => output,
    exitCode: () => code,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (code !== undefined) return code;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Polls `probe` until it resolves true; fails early with the process output if the process exits. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: { process?: ManagedProcess; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const exitCode = options.process?.exitCode();
    if (exitCode !== undefined) {
      throw new Error(
        `${options.process?.name} exited (code ${exitCode}) before ${what}:\n${options.process?.output()}`,
      );
    }
    try {
      if (await probe()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${options.process ? `:\n${options.process.output()}` : ''}`,
      );
    }
    await sleep(50);
  }
}

/** Resolves true when `GET url` answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok;
}
