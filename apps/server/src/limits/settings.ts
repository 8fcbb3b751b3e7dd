import proxyAddr from 'proxy-addr';
import { z } from 'zod';

const positiveInt = z.coerce.number({ error: 'must be a number' }).int().positive();

/** A comma-separated list of proxy addresses, CIDR ranges or proxy-addr's names (`loopback`, `uniquelocal`…). */
const proxyList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  )
  .superRefine((entries, context) => {
    try {
      proxyAddr.compile(entries);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `must list IP addresses or CIDRs: ${(error as Error).message}`,
      });
    }
  });

/** The server's cost bounds (docs/SPEC.md §11) and the proxies it trusts ([A6]), read from the environment. */
export const BoundsEnv = z.object({
  /** Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client; none by default. */
  TRUST_PROXY: proxyList.default([]),
  /** Calls in one HTTP batch request [L2]. */
  MAX_BATCH_SIZE: positiveInt.default(16),
  /** Open subscriptions on one WebSocket [L3]; a reconnecting client resubscribes them in one message. */
  MAX_STREAMS_PER_CONNECTION: positiveInt.default(64),
  /** Open WebSocket connections from one client address [L3]. */
  MAX_CONNECTIONS_PER_ADDRESS: positiveInt.default(256),
  /** Bytes of documents one HTTP request may answer with, summed over its batch [L2]. */
  MAX_RESPONSE_BYTES: positiveInt.default(16 * 1024 * 1024),
  /** Bytes waiting in every socket's send buffer together before sockets with a backlog are cut [L2]. */
  MAX_QUEUED_OUTPUT_BYTES: positiveInt.default(256 * 1024 * 1024),
  /** New documents per minute per principal and per address [L3]. */
  MAX_CREATES_PER_MINUTE: positiveInt.default(300),
  MAX_CREATES_PER_MINUTE_PER_ADDRESS: positiveInt.default(600),
  /** Documents and bytes one principal may create or write within a day [L3]. */
  MAX_DOCUMENTS_PER_PRINCIPAL: positiveInt.default(5000),
  MAX_BYTES_PER_PRINCIPAL: positiveInt.default(1024 * 1024 * 1024),
  /**
   * Op steps one rebase may take: the change's ops plus each committed op's, summed over the ops committed
   * since its base [L1]. A change over it is answered VersionTooOld: sent again from the head, it needs none.
   */
  MAX_REBASE_STEPS: positiveInt.default(50_000),
  /** Log the event loop's delay, RSS and heap this often (off when unset; the soak and benchmark set it). */
  LOAD_REPORT_MS: positiveInt.optional(),
  /** Largest image one upload or one pasted data-URL image may be [H4]. */
  MAX_IMAGE_BYTES: positiveInt.default(5 * 1024 * 1024),
  /** Data-URL images one change may carry; each is stored as an upload before the change commits [H4]. */
  MAX_INLINE_IMAGES_PER_CHANGE: positiveInt.default(20),
  /** Keys (addresses, principals) whose rate-limit state is kept; the least recently used go first. */
  RATE_LIMIT_KEYS: positiveInt.default(100_000),
});

export interface BoundsSettings {
  readonly trustProxy: readonly string[];
  readonly maxBatchSize: number;
  readonly maxStreamsPerConnection: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxResponseBytes: number;
  readonly maxQueuedOutputBytes: number;
  readonly maxCreatesPerMinute: number;
  readonly maxCreatesPerMinutePerAddress: number;
  readonly maxDocumentsPerPrincipal: number;
  readonly maxBytesPerPrincipal: number;
  readonly maxRebaseSteps: number;
  readonly maxImageBytes: number;
  readonly maxInlineImagesPerChange: number;
  readonly rateLimitKeys: number;
  readonly loadReportMs: number | undefined;
}

/** Parses the bounds from the environment; throws naming the variable when a value is not valid. */
export function boundsFromEnv(env: Record<string, string | undefined>): BoundsSettings {
  const parsed = BoundsEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  const e = parsed.data;
  return {
    trustProxy: e.TRUST_PROXY,
    maxBatchSize: e.MAX_BATCH_SIZE,
    maxStreamsPerConnection: e.MAX_STREAMS_PER_CONNECTION,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
    maxResponseBytes: e.MAX_RESPONSE_BYTES,
    maxQueuedOutputBytes: e.MAX_QUEUED_OUTPUT_BYTES,
    maxCreatesPerMinute: e.MAX_CREATES_PER_MINUTE,
    maxCreatesPerMinutePerAddress: e.MAX_CREATES_PER_MINUTE_PER_ADDRESS,
    maxDocumentsPerPrincipal: e.MAX_DOCUMENTS_PER_PRINCIPAL,
    maxBytesPerPrincipal: e.MAX_BYTES_PER_PRINCIPAL,
    maxRebaseSteps: e.MAX_REBASE_STEPS,
    maxImageBytes: e.MAX_IMAGE_BYTES,
    maxInlineImagesPerChange: e.MAX_INLINE_IMAGES_PER_CHANGE,
    rateLimitKeys: e.RATE_LIMIT_KEYS,
    loadReportMs: e.LOAD_REPORT_MS,
  };
}
