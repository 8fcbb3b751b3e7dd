import { Redis, type RedisOptions } from 'ioredis';
import { log } from '../../log.js';

/** Repeated warnings of one kind are logged at most this often, with a count of the ones left out. */
const warnEveryMs = 10_000;

export type Warn = (key: string, message: string, fields?: Record<string, unknown>) => void;

/** Logs a warning of one kind at most every `warnEveryMs`, with how many were left out meanwhile. */
export function throttledWarnings(): Warn {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key: string, message: string, fields: Record<string, unknown> = {}) => {
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < warnEveryMs) {
      seen.suppressed++;
      return;
    }
    log.warn(message, seen?.suppressed ? { ...fields, suppressed: seen.suppressed } : fields);
    last.set(key, { at: now, suppressed: 0 });
  };
}

/** Describes a Redis or network error for the logs without its stack. */
export const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function withTimeout<A>(promise: Promise<A>, ms: number, fallback: A): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * One of the two connections of an instance (`publisher`, `subscriber`). Never blocks a commit or a
 * request on Redis: a command while disconnected fails at once, and reconnection runs in the background.
 */
export function openConnection(
  url: string,
  settings: { readonly prefix: string; readonly maxReconnectDelayMs: number },
  role: string,
  warn: Warn,
  isClosing: () => boolean,
): Redis {
  const options: RedisOptions = {
    connectionName: `${settings.prefix}-${role}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    // Channels are resubscribed by the broadcast's 'ready' listener, which then catches documents up.
    autoResubscribe: false,
    retryStrategy: (attempt) => Math.min(100 * attempt, settings.maxReconnectDelayMs) + Math.random() * 100,
  };
  const client = new Redis(url, options);
  let connected = false;
  client.on('ready', () => {
    connected = true;
    log.info('redis connected', { role });
  });
  client.on('close', () => {
    if (!connected || isClosing()) return;
    connected = false;
    log.warn('redis connection lost; reconnecting in the background', { role });
  });
  // Without a listener an 'error' event would be thrown; reconnection is ioredis's job.
  client.on('error', (error) =>
    warn(`${role}-error`, 'redis connection error', { role, error: describe(error) }),
  );
  return client;
}

/** Closes a connection politely when it is up, at once otherwise. */
export async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await withTimeout(client.quit(), 1_000, 'timeout').catch(() => undefined);
  }
  client.disconnect();
}
