import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { WebSocket } from 'ws';

/** Seconds: from a few milliseconds (a commit in memory and SQLite) to the retry budget of a lost race. */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type Transport = 'trpc' | 'legacy';

/**
 * The server's Prometheus metrics [O1], in a registry of their own (one per app, so tests that start
 * several apps in one process do not mix them). Gauges that describe current state are read when scraped.
 */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const sockets: Record<Transport, Set<WebSocket>> = { trpc: new Set(), legacy: new Set() };
  const sources = { openDocuments: () => 0 };

  const metrics = {
    registry,
    committedOps: new Counter({
      name: 'collab_committed_ops_total',
      help: 'Ops committed to storage by this instance',
      registers,
    }),
    commitDuration: new Histogram({
      name: 'collab_commit_duration_seconds',
      help: 'Time from a submit reaching its document to its answer: committed, or the refusal tag',
      labelNames: ['operation', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    refusals: new Counter({
      name: 'collab_refusals_total',
      help: 'tRPC requests answered with an error, by catalogue tag',
      labelNames: ['tag'] as const,
      registers,
    }),
    storageDuration: new Histogram({
      name: 'collab_storage_call_duration_seconds',
      help: 'Storage calls by operation and outcome (ok, conflict, failure)',
      labelNames: ['operation', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    storageFailures: new Counter({
      name: 'collab_storage_failures_total',
      help: 'Storage calls that failed (the storage could not answer)',
      labelNames: ['operation'] as const,
      registers,
    }),
    streams: new Gauge({
      name: 'collab_streams',
      help: 'Open document streams (changes and presence subscriptions, legacy sockets)',
      registers,
    }),
    deliveries: new Counter({
      name: 'collab_socket_messages_sent_total',
      help: 'Messages written to WebSocket clients (fan-out deliveries and answers)',
      labelNames: ['transport'] as const,
      registers,
    }),
    deliveredBytes: new Counter({
      name: 'collab_socket_bytes_sent_total',
      help: 'Bytes written to WebSocket clients',
      labelNames: ['transport'] as const,
      registers,
    }),
    /** Counts a socket's connection, its writes and its backlog until it closes. */
    observeSocket(socket: WebSocket, transport: Transport): void {
      sockets[transport].add(socket);
      socket.once('close', () => sockets[transport].delete(socket));
      // `ws` has no event for a write, so the socket's own send is wrapped to count what fans out.
      const send = socket.send.bind(socket) as (data: unknown, ...rest: unknown[]) => void;
      socket.send = ((data: unknown, ...rest: unknown[]) => {
        metrics.deliveries.inc({ transport });
        metrics.deliveredBytes.inc({ transport }, byteLength(data));
        send(data, ...rest);
      }) as WebSocket['send'];
    },
    /** Where the state gauges read from, once the services exist; Redis is reported only when configured. */
    readFrom(from: { openDocuments: () => number; redisUp: (() => boolean) | undefined }): void {
      sources.openDocuments = from.openDocuments;
      const redisUp = from.redisUp;
      if (!redisUp) return;
      new Gauge({
        name: 'collab_redis_up',
        help: '1 while both Redis connections are ready, 0 while not',
        registers,
        collect() {
          this.set(redisUp() ? 1 : 0);
        },
      });
    },
  };

  new Gauge({
    name: 'collab_connections',
    help: 'Open WebSocket connections',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      for (const transport of Object.keys(sockets) as Transport[])
        this.set({ transport }, sockets[transport].size);
    },
  });
  new Gauge({
    name: 'collab_socket_queued_bytes',
    help: 'Bytes written to WebSocket clients and not yet sent (slow subscribers)',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      for (const transport of Object.keys(sockets) as Transport[]) {
        let queued = 0;
        for (const socket of sockets[transport]) queued += socket.bufferedAmount;
        this.set({ transport }, queued);
      }
    },
  });
  new Gauge({
    name: 'collab_open_documents',
    help: 'Documents loaded in memory',
    registers,
    collect() {
      this.set(sources.openDocuments());
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}
