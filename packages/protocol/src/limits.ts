import { z } from 'zod';

/** Every limit with its default and the environment variable that overrides it (docs/SPEC.md §7). */
export const limitDefaults = {
  /** Largest document, in bytes of its JSON form. */
  maxDocumentBytes: 10 * 1024 * 1024,
  /** Largest HTTP request body or WebSocket message, in bytes. */
  maxMessageBytes: 8 * 1024 * 1024,
  /** Ops (submits, presence updates, legacy changes) one connection may send per second, sustained. */
  maxOpsPerSecond: 200,
  /** Open connections (tRPC subscriptions and legacy sockets) on one document. */
  maxConnectionsPerDocument: 500,
  /** Deepest nesting of arrays and objects accepted in any payload. */
  maxNestingDepth: 16,
  /**
   * Most ops in one delta: far more than a pasted formatted megabyte (~37,000 ops), half the 100,000 that
   * block the event loop for a second [L1].
   */
  maxDeltaOps: 50_000,
  /** Most committed ops returned by one `documents.history` page. */
  maxHistoryPage: 1000,
} as const;

export type Limits = { -readonly [K in keyof typeof limitDefaults]: number };

export const limitEnvNames: { readonly [K in keyof Limits]: string } = {
  maxDocumentBytes: 'MAX_DOCUMENT_BYTES',
  maxMessageBytes: 'MAX_MESSAGE_BYTES',
  maxOpsPerSecond: 'MAX_OPS_PER_SECOND',
  maxConnectionsPerDocument: 'MAX_CONNECTIONS_PER_DOCUMENT',
  maxNestingDepth: 'MAX_NESTING_DEPTH',
  maxDeltaOps: 'MAX_DELTA_OPS',
  maxHistoryPage: 'MAX_HISTORY_PAGE',
};

const positiveInt = z.coerce.number().int().positive();

/** Reads limits from an environment, naming the variable when a value is not a positive integer. */
export function limitsFromEnv(env: Record<string, string | undefined>): Limits {
  const limits = { ...limitDefaults } as Limits;
  for (const key of Object.keys(limitDefaults) as (keyof Limits)[]) {
    const name = limitEnvNames[key];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = positiveInt.safeParse(raw);
    if (!parsed.success) throw new Error(`${name} must be a positive integer, got "${raw}"`);
    limits[key] = parsed.data;
  }
  return limits;
}

/**
 * Depth of nested arrays/objects in a JSON value (a scalar is 0). Descends at most `max` levels, so a
 * hostile payload nested a million deep costs `max` stack frames, not a stack overflow.
 */
export function nestingDepth(value: unknown, max = Number.POSITIVE_INFINITY): number {
  if (value === null || typeof value !== 'object') return 0;
  if (max <= 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value as Record<string, unknown>)) {
    const depth = nestingDepth(child, max - 1);
    if (depth > deepest) deepest = depth;
    if (deepest >= max) break;
  }
  return deepest + 1;
}
