import { type Limits, limitsFromEnv } from '@collab/protocol';
import * as Context from 'effect/Context';
import { z } from 'zod';
import { type AccessConfig, accessConfigFrom, accessEnvSchema } from './access/config.js';
import { type BoundsSettings, boundsFromEnv } from './limits/settings.js';

export { BoundsEnv } from './limits/settings.js';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const positiveInt = z.coerce.number({ error: 'must be a number' }).int().positive();

/** Every environment variable the server reads, with its default; the README table is checked against it. */
export const EnvSchema = accessEnvSchema.extend({
  PORT: z.coerce.number({ error: 'must be a number' }).int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  STORAGE: z.enum(['sqlite', 'dynamodb'], { error: 'must be "sqlite" or "dynamodb"' }).default('sqlite'),
  SQLITE_PATH: z.string().min(1).default('data/collab.sqlite'),
  DYNAMODB_ENDPOINT: z.url({ error: 'must be a URL' }).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  DYNAMODB_TABLE: z.string().min(3).max(255).default('SocketDocuments'),
  DYNAMODB_OPS_TABLE: z.string().min(3).max(255).default('SocketDocumentOps'),
  DYNAMODB_CREATE_TABLES: flag.default(false),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_PREFIX: z.string().min(1).max(64).default('collab'),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' })
    .default('info'),
  /** Snapshot after this many ops since the last snapshot [S2]. */
  SNAPSHOT_EVERY_OPS: positiveInt.default(100),
  /** …or this long after the first op not in a snapshot. */
  SNAPSHOT_INTERVAL_MS: positiveInt.default(10_000),
  /** Keep a snapshot for history each time a snapshot passes a multiple of this version [H1]. */
  HISTORY_SNAPSHOT_EVERY_OPS: positiveInt.default(500),
  /** A document nobody has open stays loaded this long before it is unloaded [S3]. */
  IDLE_UNLOAD_MS: positiveInt.default(30_000),
  /** Presence not refreshed within this time expires [C6]. */
  PRESENCE_TTL_MS: positiveInt.default(30_000),
  /** Committed ops kept in memory per open document for rebasing and catch-up [P2]. */
  RECENT_OPS_WINDOW: positiveInt.default(1000),
  /** Bytes queued on one socket before a slow subscriber is disconnected to resync [P1]. */
  MAX_SOCKET_BACKLOG_BYTES: positiveInt.default(16 * 1024 * 1024),
  /** Serve the web app's build on `/` (off when a separate web service and a proxy do it). */
  SERVE_WEB: flag.default(true),
  /** Directory of the web app's adapter-node build; default `apps/web/build` beside the server. */
  WEB_BUILD_DIR: z.string().optional(),
});

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly storage:
    | { readonly kind: 'sqlite'; readonly path: string }
    | {
        readonly kind: 'dynamodb';
        readonly endpoint: string | undefined;
        readonly region: string;
        readonly documentsTable: string;
        readonly opsTable: string;
        readonly createTables: boolean;
      };
  readonly redis: { readonly url: string; readonly prefix: string } | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly snapshotEveryOps: number;
  readonly snapshotIntervalMs: number;
  readonly historySnapshotEveryOps: number;
  readonly idleUnloadMs: number;
  readonly presenceTtlMs: number;
  readonly recentOpsWindow: number;
  readonly maxSocketBacklogBytes: number;
  readonly serveWeb: boolean;
  readonly webBuildDir: string | undefined;
  readonly limits: Limits;
  readonly access: AccessConfig;
  /** Cost bounds and trusted proxies (docs/SPEC.md §11, [A6]). */
  readonly bounds: BoundsSettings;
}

/** Configuration problems, each naming the variable, so a bad value stops the start with a clear message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once at start (docs/SPEC.md §8). Empty strings count as unset. */
export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  let limits: Limits;
  let bounds: BoundsSettings;
  try {
    limits = limitsFromEnv(present);
    bounds = boundsFromEnv(present);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
  const e = parsed.data;
  let access: AccessConfig;
  try {
    access = accessConfigFrom(e);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    storage:
      e.STORAGE === 'sqlite'
        ? { kind: 'sqlite', path: e.SQLITE_PATH }
        : {
            kind: 'dynamodb',
            endpoint: e.DYNAMODB_ENDPOINT,
            region: e.AWS_REGION,
            documentsTable: e.DYNAMODB_TABLE,
            opsTable: e.DYNAMODB_OPS_TABLE,
            createTables: e.DYNAMODB_CREATE_TABLES,
          },
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : undefined,
    logLevel: e.LOG_LEVEL,
    snapshotEveryOps: e.SNAPSHOT_EVERY_OPS,
    snapshotIntervalMs: e.SNAPSHOT_INTERVAL_MS,
    historySnapshotEveryOps: e.HISTORY_SNAPSHOT_EVERY_OPS,
    idleUnloadMs: e.IDLE_UNLOAD_MS,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    recentOpsWindow: e.RECENT_OPS_WINDOW,
    maxSocketBacklogBytes: e.MAX_SOCKET_BACKLOG_BYTES,
    serveWeb: e.SERVE_WEB,
    webBuildDir: e.WEB_BUILD_DIR,
    limits,
    access,
    bounds,
  };
}

/** The parsed configuration as a service, so layers read it instead of the environment. */
export class Config extends Context.Service<Config, AppConfig>()('collab/Config') {}
