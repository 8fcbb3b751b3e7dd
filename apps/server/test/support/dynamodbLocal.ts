import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './ports.js';

/** Region and credentials DynamoDB Local accepts; any values work, but the SDK insists on having some. */
export const dynamoDbLocalClientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** The environment that points a server process at DynamoDB Local on `endpoint`, creating its tables. */
export function dynamoDbServerEnv(endpoint: string): Record<string, string> {
  return {
    STORAGE: 'dynamodb',
    DYNAMODB_ENDPOINT: endpoint,
    DYNAMODB_CREATE_TABLES: 'true',
    AWS_REGION: dynamoDbLocalClientConfig.region,
    AWS_ACCESS_KEY_ID: dynamoDbLocalClientConfig.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: dynamoDbLocalClientConfig.credentials.secretAccessKey,
  };
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the Java process; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** How long to wait for the first successful ListTables. Java starts in 2-4 s on an idle machine. */
  readonly readyTimeoutMs?: number;
}

const bindAttempts = 3;
const outputTailBytes = 4096;

/** The folder holding `DynamoDBLocal.jar` and its native libraries, as shipped in the npm package. */
export function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar is missing from ${dir}: reinstall amplify-dynamodb-simulator`);
  }
  return dir;
}

/**
 * Starts Amazon's DynamoDB Local (in memory) on a free port and resolves once it answers ListTables, so
 * storage tests run against the real engine instead of a mock. The process is killed by `stop()` and,
 * failing that, when the test process exits.
 */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= bindAttempts; attempt++) {
    const port = await freePort();
    try {
      return await startOnPort(port, readyTimeoutMs);
    } catch (error) {
      // The port can be taken between freePort() and Java's bind: try another one.
      if (!(error instanceof PortTaken)) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new Error('DynamoDB Local did not start');
}

class PortTaken extends Error {}

async function startOnPort(port: number, readyTimeoutMs: number): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      'DynamoDBLocal.jar',
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-outputTailBytes);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);

  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });
  child.once('error', (error) => {
    spawnError = error;
    process.removeListener('exit', killOnExit);
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited !== undefined || spawnError !== undefined) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exitPromise;
    clearTimeout(killTimer);
  };

  try {
    await waitUntilReady(endpoint, child, readyTimeoutMs, () => {
      if (spawnError !== undefined) {
        const hint =
          (spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? ' (is Java 17 installed?)' : '';
        return new Error(`could not start java${hint}: ${spawnError.message}`);
      }
      if (exited !== undefined) {
        if (/BindException|Address already in use/i.test(output))
          return new PortTaken(`port ${port} is taken`);
        return new Error(
          `DynamoDB Local exited (code ${exited.code}, signal ${exited.signal}) before it was ready:\n${output}`,
        );
      }
      return undefined;
    });
  } catch (error) {
    await stop();
    if (error instanceof Error && !(error instanceof PortTaken) && error.message.startsWith('timed out')) {
      throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${readyTimeoutMs} ms:\n${output}`);
    }
    throw error;
  }
  return { endpoint, port, stop };
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  failure: () => Error | undefined,
): Promise<void> {
  const client = new DynamoDBClient({
    ...dynamoDbLocalClientConfig,
    endpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const error = failure();
      if (error !== undefined) throw error;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        // Not listening yet: keep polling until the deadline or until the process dies.
      }
      if (Date.now() > deadline) throw new Error(`timed out (pid ${child.pid})`);
      await sleep(50);
    }
  } finally {
    client.destroy();
  }
}
