import { type RedisServer, startRedis } from '@collab/server/testing';
import { afterAll, beforeAll } from 'vitest';
import { type ServerProcess, startServer } from '../support/server.js';
import { type StorageKind, startStorage, type TestStorage } from '../support/storage.js';

/** Several server processes over one storage and one Redis. */
export interface Cluster {
  readonly instances: ServerProcess[];
  /** Starts one more instance (or restarts one on a given port). */
  add(options?: { env?: Record<string, string>; port?: number }): Promise<ServerProcess>;
  stop(): Promise<void>;
}

export async function startCluster(options: {
  count: number;
  storage: TestStorage;
  redis: RedisServer;
  env?: Record<string, string>;
}): Promise<Cluster> {
  const instances: ServerProcess[] = [];
  const add = async (extra: { env?: Record<string, string>; port?: number } = {}) => {
    const server = await startServer({
      env: { ...options.storage.env('collab'), REDIS_URL: options.redis.url, ...options.env, ...extra.env },
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

/** What `useCluster` started for a describe block. */
export interface SuiteCluster {
  readonly cluster: Cluster;
  readonly redis: RedisServer;
}

/**
 * For the calling describe block: before its tests, starts Redis, a storage of `kind` and `count` instances
 * over both; after them, stops everything. The fields read what was started (a failed start fails the tests).
 */
export function useCluster(kind: StorageKind, count: number): SuiteCluster {
  let redis: RedisServer | undefined;
  let storage: TestStorage | undefined;
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    storage = await startStorage(kind);
    cluster = await startCluster({ count, storage, redis });
  });
  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
    await storage?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the cluster is not started');
    return value;
  };
  return {
    get cluster() {
      return started(cluster);
    },
    get redis() {
      return started(redis);
    },
  };
}
