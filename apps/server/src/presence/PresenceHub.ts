import { Delta, transformRange } from '@collab/ot';
import type { PresenceEntry, PresenceEvent, PresenceUpdateInput } from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import * as FiberSet from 'effect/FiberSet';
import * as Layer from 'effect/Layer';
import * as Schedule from 'effect/Schedule';
import { Broadcast } from '../broadcast/Broadcast.js';
import { Config } from '../config.js';
import { LimitExceeded, VersionTooOld } from '../domain/errors.js';
import type { DocumentSession } from '../sessions/DocumentSession.js';

type Listener = (event: PresenceEvent) => void;

/** Presence entries one connection may hold on one document (a client has one; a few allow tabs sharing a socket) [A4]. */
export const maxPresencePerConnection = 4;

interface Tracked {
  entry: PresenceEntry;
  expiresAt: number;
  /** The connection that set it here; undefined when it came from another instance. */
  connectionId: string | undefined;
  /** The instance that announced it; undefined when it was set on this one. */
  source: string | undefined;
}

interface DocPresence {
  readonly entries: Map<string, Tracked>;
  readonly listeners: Set<Listener>;
  stopTracking?: () => void;
  /** Set as soon as listening to other instances starts (the subscription completes later). */
  listeningRemote?: boolean;
  stopBroadcast?: () => void;
}

/**
 * Who is in each document and where their cursor is [C6]. Ranges follow concurrent ops, entries vanish
 * when their connection closes, and expire unless refreshed, so a crashed instance leaves no ghost cursor.
 */
export class PresenceHub extends Context.Service<
  PresenceHub,
  {
    /** Records a client's cursor (transformed to the session's head) and tells everyone. */
    update(
      session: DocumentSession,
      input: PresenceUpdateInput,
      connectionId: string | undefined,
    ): Effect.Effect<void, LimitExceeded | VersionTooOld>;
    /** Everyone present now, then every change, until the returned function is called. */
    listen(session: DocumentSession, listener: Listener): () => void;
    /** Removes a client (its stream on `connectionId` ended) and tells everyone; another connection's entry stays [A4]. */
    leave(docId: string, clientId: string, connectionId: string): void;
    /** Removes every entry a connection set (the connection closed). */
    dropConnection(connectionId: string): void;
  }
>()('collab/presence/PresenceHub') {
  static readonly layer = Layer.effect(
    PresenceHub,
    Effect.gen(function* () {
      const config = yield* Config;
      const broadcast = yield* Broadcast;
      const docs = new Map<string, DocPresence>();
      // Publishing, remote subscriptions and the expiry sweep run as fibers of this layer's scope: they end
      // when the app shuts down.
      const fork = yield* FiberSet.makeRuntime();

      const emit = (doc: DocPresence, event: PresenceEvent) => {
        for (const listener of doc.listeners) listener(event);
      };

      const docFor = (docId: string): DocPresence => {
        let doc = docs.get(docId);
        if (!doc) {
          doc = { entries: new Map(), listeners: new Set() };
          docs.set(docId, doc);
        }
        return doc;
      };

      const remove = (docId: string, clientId: string, publish: boolean) => {
        const doc = docs.get(docId);
        if (!doc?.entries.delete(clientId)) return;
        const event: PresenceEvent = { type: 'leave', clientId };
        emit(doc, event);
        if (publish) fork(broadcast.publishPresence(docId, event, 0));
        dropIfUnused(docId, doc);
      };

      const dropIfUnused = (docId: string, doc: DocPresence) => {
        if (doc.entries.size > 0 || doc.listeners.size > 0) return;
        doc.stopTracking?.();
        doc.stopBroadcast?.();
        docs.delete(docId);
      };

      /** Moves every cursor of the document through each op as it commits. */
      const track = (session: DocumentSession, doc: DocPresence) => {
        if (doc.stopTracking) return;
        doc.stopTracking = session.onCommit((op) => {
          const change = new Delta(op.delta.ops);
          for (const tracked of doc.entries.values()) {
            const { entry } = tracked;
            if (entry.version !== op.version - 1) continue;
            const range = entry.range && transformRange(entry.range, change, entry.clientId === op.clientId);
            tracked.entry = { ...entry, range, version: op.version };
          }
        });
      };

      const setStopBroadcast = (doc: DocPresence, stop: () => void) => {
        doc.stopBroadcast = stop;
      };

      const subscribeRemote = (docId: string, doc: DocPresence) => {
        if (doc.listeningRemote) return Effect.void;
        doc.listeningRemote = true;
        return broadcast
          .subscribe(docId, {
            onOp: () => {},
            onResync: () => {},
            onPresence: (event, expiresAt, source) => {
              const clientId = event.type === 'leave' ? event.clientId : event.entry.clientId;
              const current = doc.entries.get(clientId);
              if (current && current.source === undefined) return; // set here: this instance owns it
              // A departure only removes what its instance announced (the client may have moved on).
              if (event.type === 'leave') {
                if (current?.source === source) remove(docId, clientId, false);
                return;
              }
              doc.entries.set(clientId, { entry: event.entry, expiresAt, connectionId: undefined, source });
              emit(doc, event);
            },
            // Another instance started listening: tell it who is here (it would otherwise wait for refreshes).
            onSyncRequest: () => {
              for (const tracked of doc.entries.values()) {
                if (tracked.source !== undefined) continue;
                const event: PresenceEvent = { type: 'update', entry: tracked.entry };
                fork(broadcast.publishPresence(docId, event, tracked.expiresAt));
              }
            },
          })
          .pipe(
            Effect.flatMap((stop) =>
              Effect.sync(() => {
                // Everyone left while the subscription was being made.
                if (docs.get(docId) !== doc) return stop();
                setStopBroadcast(doc, stop);
              }),
            ),
          );
      };

      // [C6] expiry runs on the app's `Clock`, so tests drive it with a test clock.
      const sweep = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        for (const [docId, doc] of docs) {
          for (const [clientId, tracked] of doc.entries) {
            if (tracked.expiresAt <= now) remove(docId, clientId, false);
          }
        }
      });
      fork(Effect.repeat(sweep, Schedule.spaced(Math.max(250, Math.floor(config.presenceTtlMs / 4)))));

      return PresenceHub.of({
        update: (session, input, connectionId) =>
          Effect.gen(function* () {
            const doc = docFor(session.id);
            if (connectionId !== undefined && !doc.entries.has(input.clientId)) {
              let held = 0;
              for (const tracked of doc.entries.values())
                if (tracked.connectionId === connectionId) held += 1;
              if (held >= maxPresencePerConnection) {
                return yield* new LimitExceeded({
                  message: `A connection may show at most ${maxPresencePerConnection} cursors in one document`,
                });
              }
            }
            track(session, doc);
            yield* subscribeRemote(session.id, doc);
            let range = input.range;
            let version = Math.min(input.version, session.version);
            if (range && version < session.version) {
              // [L1] a cursor is moved only through the ops kept in memory.
              if (!session.keeps(version)) {
                return yield* new VersionTooOld({
                  message: `version ${version} is older than the recent versions the server keeps (head ${session.version}); catch up and send again`,
                });
              }
              const ops = yield* session
                .opsBetween(version, session.version)
                .pipe(Effect.catch(() => Effect.succeed([])));
              for (const op of ops)
                range = transformRange(range, new Delta(op.delta.ops), op.clientId === input.clientId);
              version = session.version;
            }
            const entry: PresenceEntry = { clientId: input.clientId, user: input.user, range, version };
            const expiresAt = (yield* Clock.currentTimeMillis) + config.presenceTtlMs;
            doc.entries.set(input.clientId, { entry, expiresAt, connectionId, source: undefined });
            const event: PresenceEvent = { type: 'update', entry };
            emit(doc, event);
            yield* broadcast.publishPresence(session.id, event, expiresAt);
          }),
        listen: (session, listener) => {
          const doc = docFor(session.id);
          track(session, doc);
          fork(subscribeRemote(session.id, doc));
          for (const tracked of doc.entries.values()) listener({ type: 'update', entry: tracked.entry });
          doc.listeners.add(listener);
          return () => {
            doc.listeners.delete(listener);
            dropIfUnused(session.id, doc);
          };
        },
        leave: (docId, clientId, connectionId) => {
          if (docs.get(docId)?.entries.get(clientId)?.connectionId === connectionId)
            remove(docId, clientId, true);
        },
        dropConnection: (connectionId) => {
          for (const [docId, doc] of docs) {
            for (const [clientId, tracked] of doc.entries) {
              if (tracked.connectionId === connectionId) remove(docId, clientId, true);
            }
          }
        },
      });
    }),
  );
}
