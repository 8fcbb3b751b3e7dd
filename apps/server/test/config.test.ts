import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { limitDefaults } from '@collab/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

/** Returns the ConfigError `parseConfig` throws for `env`; fails the test when it parses. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('[E1] parseConfig', () => {
  it('[E1] an empty environment gives the documented defaults', () => {
    const config = parseConfig({});
    expect(config).toEqual({
      port: 8000,
      host: '0.0.0.0',
      storage: { kind: 'sqlite', path: 'data/collab.sqlite' },
      redis: undefined,
      logLevel: 'info',
      snapshotEveryOps: 100,
      snapshotIntervalMs: 10_000,
      historySnapshotEveryOps: 500,
      idleUnloadMs: 30_000,
      presenceTtlMs: 30_000,
      recentOpsWindow: 1000,
      maxSocketBacklogBytes: 16 * 1024 * 1024,
      serveWeb: true,
      webBuildDir: undefined,
      limits: { ...limitDefaults },
      access: {
        allowedOrigins: [],
        allowedHosts: undefined,
        frameAncestors: "'none'",
        compatAccess: true,
        defaultGeneralAccess: 'edit',
        jwt: undefined,
        apiKeys: new Map(),
      },
      bounds: {
        trustProxy: [],
        maxBatchSize: 16,
        maxStreamsPerConnection: 64,
        maxConnectionsPerAddress: 256,
        maxResponseBytes: 16 * 1024 * 1024,
        maxQueuedOutputBytes: 256 * 1024 * 1024,
        maxCreatesPerMinute: 300,
        maxCreatesPerMinutePerAddress: 600,
        maxDocumentsPerPrincipal: 5000,
        maxBytesPerPrincipal: 1024 * 1024 * 1024,
        maxRebaseSteps: 50_000,
        maxImageBytes: 5 * 1024 * 1024,
        maxInlineImagesPerChange: 20,
        rateLimitKeys: 100_000,
        loadReportMs: undefined,
      },
    });
    // §7 defaults: a 10 MiB document, 8 MiB messages.
    expect(config.limits.maxDocumentBytes).toBe(10 * 1024 * 1024);
    expect(config.limits.maxMessageBytes).toBe(8 * 1024 * 1024);
  });

  it('[E1] every variable is read', () => {
    const config = parseConfig({
      PORT: '9123',
      HOST: '127.0.0.1',
      STORAGE: 'dynamodb',
      SQLITE_PATH: 'ignored-for-dynamodb.sqlite',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8001',
      AWS_REGION: 'eu-west-3',
      DYNAMODB_TABLE: 'Docs',
      DYNAMODB_OPS_TABLE: 'DocOps',
      DYNAMODB_CREATE_TABLES: 'true',
      REDIS_URL: 'redis://127.0.0.1:6380',
      REDIS_PREFIX: 'tenant-a',
      LOG_LEVEL: 'debug',
      SNAPSHOT_EVERY_OPS: '7',
      SNAPSHOT_INTERVAL_MS: '1234',
      IDLE_UNLOAD_MS: '555',
      PRESENCE_TTL_MS: '4000',
      RECENT_OPS_WINDOW: '64',
      MAX_SOCKET_BACKLOG_BYTES: '1024',
      SERVE_WEB: 'false',
      WEB_BUILD_DIR: 'web/build',
      MAX_DOCUMENT_BYTES: '1000',
      MAX_MESSAGE_BYTES: '2000',
      MAX_OPS_PER_SECOND: '3',
      MAX_CONNECTIONS_PER_DOCUMENT: '4',
      MAX_NESTING_DEPTH: '5',
      MAX_DELTA_OPS: '6',
      MAX_HISTORY_PAGE: '8',
      TRUST_PROXY: '10.0.0.1, 172.16.0.0/12,loopback',
      MAX_BATCH_SIZE: '9',
      MAX_STREAMS_PER_CONNECTION: '10',
      MAX_CONNECTIONS_PER_ADDRESS: '11',
      MAX_RESPONSE_BYTES: '12',
      MAX_QUEUED_OUTPUT_BYTES: '13',
      MAX_CREATES_PER_MINUTE: '14',
      MAX_CREATES_PER_MINUTE_PER_ADDRESS: '15',
      MAX_DOCUMENTS_PER_PRINCIPAL: '16',
      MAX_BYTES_PER_PRINCIPAL: '17',
      MAX_REBASE_STEPS: '19',
      MAX_IMAGE_BYTES: '21',
      MAX_INLINE_IMAGES_PER_CHANGE: '22',
      RATE_LIMIT_KEYS: '18',
      LOAD_REPORT_MS: '20',
    });
    expect(config).toEqual({
      port: 9123,
      host: '127.0.0.1',
      storage: {
        kind: 'dynamodb',
        endpoint: 'http://127.0.0.1:8001',
        region: 'eu-west-3',
        documentsTable: 'Docs',
        opsTable: 'DocOps',
        createTables: true,
      },
      redis: { url: 'redis://127.0.0.1:6380', prefix: 'tenant-a' },
      logLevel: 'debug',
      snapshotEveryOps: 7,
      snapshotIntervalMs: 1234,
      historySnapshotEveryOps: 500,
      idleUnloadMs: 555,
      presenceTtlMs: 4000,
      recentOpsWindow: 64,
      maxSocketBacklogBytes: 1024,
      serveWeb: false,
      webBuildDir: 'web/build',
      limits: {
        maxDocumentBytes: 1000,
        maxMessageBytes: 2000,
        maxOpsPerSecond: 3,
        maxConnectionsPerDocument: 4,
        maxNestingDepth: 5,
        maxDeltaOps: 6,
        maxHistoryPage: 8,
      },
      // Read and checked in access-config.test.ts.
      access: expect.any(Object),
      bounds: {
        trustProxy: ['10.0.0.1', '172.16.0.0/12', 'loopback'],
        maxBatchSize: 9,
        maxStreamsPerConnection: 10,
        maxConnectionsPerAddress: 11,
        maxResponseBytes: 12,
        maxQueuedOutputBytes: 13,
        maxCreatesPerMinute: 14,
        maxCreatesPerMinutePerAddress: 15,
        maxDocumentsPerPrincipal: 16,
        maxBytesPerPrincipal: 17,
        maxRebaseSteps: 19,
        maxImageBytes: 21,
        maxInlineImagesPerChange: 22,
        rateLimitKeys: 18,
        loadReportMs: 20,
      },
    });
  });

  it('[A6] a TRUST_PROXY entry that is not an address or a range stops the start, naming the variable', () => {
    expect(configError({ TRUST_PROXY: '10.0.0.1,not-an-address' }).message).toMatch(/TRUST_PROXY/);
  });

  it('[E1] SQLite storage takes SQLITE_PATH; PORT 0 asks for any free port', () => {
    const config = parseConfig({ STORAGE: 'sqlite', SQLITE_PATH: '/var/lib/collab/db.sqlite', PORT: '0' });
    expect(config.storage).toEqual({ kind: 'sqlite', path: '/var/lib/collab/db.sqlite' });
    expect(config.port).toBe(0);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('[E1] DYNAMODB_CREATE_TABLES=%s reads as %s', (value, expected) => {
    const config = parseConfig({ STORAGE: 'dynamodb', DYNAMODB_CREATE_TABLES: value });
    expect(config.storage.kind === 'dynamodb' && config.storage.createTables).toBe(expected);
  });

  it('[E1] empty strings count as unset', () => {
    expect(parseConfig({ PORT: '', STORAGE: '', MAX_DOCUMENT_BYTES: '', REDIS_URL: '' })).toEqual(
      parseConfig({}),
    );
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['STORAGE', 'mysql'],
    ['DYNAMODB_CREATE_TABLES', 'maybe'],
    ['DYNAMODB_ENDPOINT', 'not a url'],
    ['DYNAMODB_TABLE', 'ab'],
    ['REDIS_URL', 'localhost:6379 please'],
    ['LOG_LEVEL', 'verbose'],
    ['SNAPSHOT_EVERY_OPS', '0'],
    ['SNAPSHOT_INTERVAL_MS', 'soon'],
    ['IDLE_UNLOAD_MS', '-5'],
    ['PRESENCE_TTL_MS', '1.5'],
    ['RECENT_OPS_WINDOW', '0'],
    ['MAX_SOCKET_BACKLOG_BYTES', 'lots'],
    ['SERVE_WEB', 'perhaps'],
    ['MAX_DOCUMENT_BYTES', '-1'],
    ['MAX_MESSAGE_BYTES', '0'],
    ['MAX_OPS_PER_SECOND', 'fast'],
    ['MAX_CONNECTIONS_PER_DOCUMENT', '2.5'],
    ['MAX_NESTING_DEPTH', '-3'],
    ['MAX_DELTA_OPS', 'many'],
    ['MAX_HISTORY_PAGE', '0'],
  ])('[E1] %s=%s throws a ConfigError naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(name);
  });

  it('[E1] every bad variable is named at once', () => {
    const error = configError({ PORT: 'abc', STORAGE: 'mysql', LOG_LEVEL: 'loud' });
    for (const name of ['PORT', 'STORAGE', 'LOG_LEVEL']) expect(error.message).toContain(name);
  });

  it('[E1] REDIS_URL must be a redis:// or rediss:// URL, as its message says', () => {
    expect(parseConfig({ REDIS_URL: 'rediss://cache.internal:6380' }).redis?.url).toBe(
      'rediss://cache.internal:6380',
    );
    expect(configError({ REDIS_URL: 'http://127.0.0.1:6379' }).message).toContain('REDIS_URL');
  });
});

const serverEntry = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Starts the built server with `env`; resolves with its exit code and everything it printed. */
function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serverEntry], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', SQLITE_PATH: ':memory:', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    // A server that did start is a failure of the test: stop it rather than leave it running.
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, output });
    });
  });
}

describe('[E1] starting the server with a bad value', () => {
  it.each([
    ['PORT', 'abc'],
    ['STORAGE', 'mysql'],
    ['MAX_DOCUMENT_BYTES', '-1'],
    ['DYNAMODB_CREATE_TABLES', 'maybe'],
  ])('[E1] %s=%s: exits non-zero with a message naming the variable and no stack', async (name, value) => {
    const { code, output } = await runServer({ [name]: value });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain(name);
    expect(output).toContain('invalid configuration');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('"msg":"listening"');
  });
});
