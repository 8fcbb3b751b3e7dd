import { randomUUID } from 'node:crypto';
import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
import { log } from '../log.js';
import { Broadcast, type BroadcastHandlers } from './Broadcast.js';
import { type Channel, claimDueCheck, newChannel } from './redis/channel.js';
import { describe, openConnection, quit, throttledWarnings, withTimeout } from './redis/connection.js';
import { decodeMessage, encodeMessage, maxPresenceTtlMs, type Outgoing } from './redis/messages.js';

export interface RedisBroadcastOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url: string;
  /** Channel names start with it (`<prefix>:doc:<docId>`), so several deployments can share one Redis. */
  readonly prefix: string;
  /** An op whose message would be larger is announced by its version only; receivers read it from storage. */
  readonly maxInlineOpBytes?: number;
  /** How often a document with recent traffic (or any document while Redis is down) is checked against storage. */
  readonly checkIntervalMs?: number;
  /** How often a quiet document is checked against storage. */
  readonly idleCheckIntervalMs?: number;
  /** Longest wait for Redis to confirm a new subscription before going on without it. */
  readonly subscribeTimeoutMs?: number;
  /** Longest pause between reconnection attempts while Redis is unreachable. */
  readonly maxReconnectDelayMs?: number;
}

const defaults = {
  maxInlineOpBytes: 64 * 1024,
  checkIntervalMs: 3_000,
  idleCheckIntervalMs: 15_000,
  subscribeTimeoutMs: 2_000,
  maxReconnectDelayMs: 1_000,
} satisfies Required<Omit<RedisBroadcastOptions, 'url' | 'prefix'>>;

/**
 * The multi-instance `Broadcast` over Redis pub/sub [S4]: one publisher and one subscriber connection per
 * instance, one channel per document, subscribed while at least one local listener needs it.
 *
 * Redis is only a fast path. Order and completeness come from storage: a receiver applies an op only when it
 * is its next version, fills a gap from storage and ignores duplicates (`DocumentSession.receiveRemote`).
 * Three things cover messages Redis never delivered:
 * - when the subscriber connection comes back, every subscribed document catches up from storage (`onResync`);
 * - an op too large for a message is announced by version, and receivers read it from storage;
 * - a periodic check: every subscribed document is compared with storage (one read of the ops after the
 *   local head, nearly always empty) every `checkIntervalMs` while it had ops in the last minute or while
 *   Redis is down, and every `idleCheckIntervalMs` otherwise. A lost message is always followed by a gap the
 *   next message reveals, except the last one before a document goes quiet (its sender crashed between
 *   commit and publish, or its publisher connection failed): the check bounds how long that op stays unseen.
 *   While Redis is down the same check keeps instances in step, a few seconds apart.
 */
export function makeRedisBroadcast(options: RedisBroadcastOptions) {
  const settings = { ...defaults, ...options };
  const instanceId = randomUUID();
  const channels = new Map<string, Channel>();
  const warn = throttledWarnings();
  const channelOf = (docId: string) => `${settings.prefix}:doc:${docId}`;

  let closing = false;
  const publisher = openConnection(settings.url, settings, 'publisher', warn, () => closing);
  const subscriber = openConnection(settings.url, settings, 'subscriber', warn, () => closing);

  const send = (docId: string, message: Outgoing): void => {
    if (publisher.status !== 'ready') {
      warn('publish-down', 'redis is unavailable; other instances will catch up from storage', { docId });
      return;
    }
    const payload = encodeMessage(instanceId, message);
    publisher.publish(channelOf(docId), payload).catch((error: unknown) => {
      warn('publish-failed', 'publishing to redis failed; other instances will catch up from storage', {
        docId,
        error: describe(error),
      });
    });
  };

  /** Calls each listener of a channel; one failing listener does not stop the others. */
  const each = (channel: Channel, call: (handlers: BroadcastHandlers) => void) => {
    for (const handlers of [...channel.handlers]) {
      try {
        call(handlers);
      } catch (error) {
        log.error('broadcast listener failed', { docId: channel.docId, error });
      }
    }
  };

  const resync = (channel: Channel) => each(channel, (handlers) => handlers.onResync());

  const receive = (name: string, raw: string) => {
    const channel = channels.get(name);
    if (!channel) return;
    const message = decodeMessage(raw, settings.maxInlineOpBytes);
    if ('warning' in message) {
      warn(message.key, message.warning, { docId: channel.docId, ...message.fields });
      return;
    }
    if (message.src === instanceId) return;
    switch (message.type) {
      case 'op':
        channel.lastActivityAt = Date.now();
        each(channel, (handlers) => handlers.onOp(message.op));
        return;
      case 'version':
        channel.lastActivityAt = Date.now();
        resync(channel);
        return;
      case 'presence': {
        const expiresAt = Date.now() + message.ttlMs;
        each(channel, (handlers) => handlers.onPresence(message.event, expiresAt, message.src));
        return;
      }
      case 'hello':
        each(channel, (handlers) => handlers.onSyncRequest?.());
        return;
    }
  };
  subscriber.on('message', receive);

  /** Subscribes on Redis; resolves with whether Redis confirmed it. Never rejects. */
  const subscribeOnRedis = (names: string[]): Promise<boolean> =>
    withTimeout(
      subscriber.subscribe(...names).then(() => true),
      settings.subscribeTimeoutMs,
      false,
    ).catch((error: unknown) => {
      warn('subscribe-failed', 'subscribing on redis failed; retrying in the background', {
        error: describe(error),
      });
      return false;
    });

  /** Counts subscriber connections, so an answer from a connection that has since dropped is ignored. */
  let connectionEpoch = 0;

  /** Asks the other instances for the presence they hold, when someone here listens to presence. */
  const askForPresence = (channel: Channel) => {
    if ([...channel.handlers].some((handlers) => handlers.onSyncRequest))
      send(channel.docId, { type: 'hello' });
  };

  /**
   * Subscribes channels on Redis. Once confirmed, asks for presence and, when `catchUp` is set, catches the
   * documents up from storage: they were not listened to until now.
   */
  const attach = (targets: readonly Channel[], catchUp: boolean): Promise<void> => {
    const todo = targets.filter((channel) => !channel.attaching && !channel.attached);
    if (todo.length === 0 || subscriber.status !== 'ready') return Promise.resolve();
    const epoch = connectionEpoch;
    for (const channel of todo) channel.attaching = true;
    return subscribeOnRedis(todo.map((channel) => channel.name)).then((confirmed) => {
      if (epoch !== connectionEpoch) return;
      for (const channel of todo) {
        channel.attaching = false;
        if (channels.get(channel.name) !== channel) continue;
        channel.attached = confirmed;
        if (catchUp) resync(channel);
        if (confirmed) askForPresence(channel);
      }
    });
  };

  subscriber.on('close', () => {
    connectionEpoch++;
    for (const channel of channels.values()) {
      channel.attached = false;
      channel.attaching = false;
    }
  });
  // After a drop (or a first connection made after listeners arrived), resubscribe everything, then catch
  // every document up: whatever was published meanwhile reached storage only.
  subscriber.on('ready', () => {
    void attach([...channels.values()], true);
  });

  const join = (docId: string, handlers: BroadcastHandlers) => {
    const name = channelOf(docId);
    let channel = channels.get(name);
    const existing = channel !== undefined;
    if (!channel) {
      channel = newChannel(name, docId, settings.checkIntervalMs);
      channels.set(name, channel);
      // The caller catches up from storage once this settles (see `Broadcast.subscribe`).
      channel.confirmed = attach([channel], false);
    }
    channel.handlers.add(handlers);
    const joined = channel;
    // A presence listener joining a channel already subscribed asks for presence itself; on a new channel,
    // `attach` asks once subscribed.
    const ready =
      existing && handlers.onSyncRequest
        ? joined.confirmed.then(() => {
            if (joined.attached && channels.get(name) === joined) send(docId, { type: 'hello' });
          })
        : joined.confirmed;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      joined.handlers.delete(handlers);
      if (joined.handlers.size > 0 || channels.get(name) !== joined) return;
      channels.delete(name);
      // If this fails the connection is gone, and with it the subscription; messages for channels no longer
      // listened to are dropped by `receive` anyway.
      if (subscriber.status === 'ready') subscriber.unsubscribe(name).catch(() => {});
    };
    return { confirmed: ready, leave };
  };

  const touch = (docId: string) => {
    const channel = channels.get(channelOf(docId));
    if (channel) channel.lastActivityAt = Date.now();
  };

  const sweep = setInterval(() => {
    const now = Date.now();
    const redisDown = subscriber.status !== 'ready';
    // A subscription that timed out or failed while the connection stayed up is tried again.
    if (!redisDown) void attach([...channels.values()], true);
    for (const channel of channels.values()) {
      if (!claimDueCheck(channel, now, redisDown, settings)) continue;
      resync(channel);
    }
  }, 250);
  sweep.unref();

  const service = Broadcast.of({
    isConnected: () => publisher.status === 'ready' && subscriber.status === 'ready',
    publishOp: (docId, op) =>
      Effect.sync(() => {
        touch(docId);
        const json = JSON.stringify(op);
        // UTF-16 units take at most 3 bytes in UTF-8: measure exactly only when it could matter.
        const large =
          json.length * 3 > settings.maxInlineOpBytes && Buffer.byteLength(json) > settings.maxInlineOpBytes;
        send(docId, large ? { type: 'version', version: op.version } : { type: 'op', op });
      }),
    publishPresence: (docId, event, expiresAt) =>
      Effect.sync(() => {
        const ttlMs =
          event.type === 'leave' ? 0 : Math.max(0, Math.min(maxPresenceTtlMs, expiresAt - Date.now()));
        send(docId, { type: 'presence', event, ttlMs: Math.round(ttlMs) });
      }),
    subscribe: (docId, handlers) =>
      Effect.suspend(() => {
        const { confirmed, leave } = join(docId, handlers);
        return Effect.promise(() => confirmed).pipe(
          Effect.onInterrupt(() => Effect.sync(leave)),
          Effect.as(leave),
        );
      }),
  });

  return {
    service,
    instanceId,
    /** Stops the checks and closes both connections. */
    close: async () => {
      closing = true;
      clearInterval(sweep);
      channels.clear();
      await Promise.all([quit(publisher), quit(subscriber)]);
    },
  };
}

/**
 * `Broadcast` over Redis: the connections open in the background (a Redis that is down delays nothing and is
 * retried) and are closed when the layer is released.
 */
export const layer = (options: RedisBroadcastOptions): Layer.Layer<Broadcast> =>
  Layer.effect(
    Broadcast,
    Effect.acquireRelease(
      Effect.sync(() => makeRedisBroadcast(options)),
      (broadcast) => Effect.promise(() => broadcast.close()),
    ).pipe(Effect.map((broadcast) => broadcast.service)),
  );
