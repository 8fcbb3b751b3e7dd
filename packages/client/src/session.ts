import { ClientDocument, Delta, type Range } from '@collab/ot';
import {
  type ChangesEvent,
  type DeltaJson,
  type DocumentSnapshot,
  deltaContentProblem,
  type PresenceEntry,
  type PresenceEvent,
  type PresenceUser,
} from '@collab/protocol';
import type { Api } from './api.js';
import { Emitter } from './emitter.js';
import { CollabError, toCollabError } from './errors.js';

/** Where a document's copy stands with the server. */
export interface DocumentStatus {
  /** `online`: connected and following changes; `offline`: edits are kept and sent on reconnect. */
  readonly connection: 'connecting' | 'online' | 'offline';
  /** Local edits the server has not acknowledged yet (0 = everything is saved). */
  readonly pendingEdits: number;
  /** Whether the session was ever online (tells "Connecting…" from "Reconnecting…"). */
  readonly everConnected: boolean;
}

/** Another person in the document, with their cursor in local coordinates (null: no selection). */
export interface RemotePresence {
  readonly clientId: string;
  readonly user: PresenceUser;
  readonly range: Range | null;
}

export type DocumentEvents = {
  /** A remote change, already transformed over local pending edits: apply it to the editor as is. */
  change: (delta: Delta) => void;
  /** The local copy was replaced by the server's (after an edit the server refused): show `contents`. */
  reset: (contents: Delta) => void;
  status: (status: DocumentStatus) => void;
  presence: (others: readonly RemotePresence[]) => void;
  /** A failure worth telling the user about (an edit refused, a lost subscription). */
  error: (error: CollabError) => void;
};

/** How often presence is re-sent so it does not expire on the server [C6]. */
const presenceRefreshMs = 10_000;
/** Presence updates are sent at most this often while the cursor moves. */
const presenceThrottleMs = 50;
/** WebSocket close code: a message was over the server's hard size cap (RFC 6455). */
const messageTooBig = 1009;
/** Delay before retrying an op the server could not take right now (rate limited, busy). */
const retryDelayMs = 500;

export interface SessionTransport {
  readonly api: Api;
  readonly clientId: string;
  /** Whether the socket is open now. */
  isOpen(): boolean;
  /** Registers for socket open/close (with the close code); returns the unsubscribe function. */
  onConnection(listener: (open: boolean, closeCode?: number) => void): () => void;
}

/**
 * One open document: local edits go out one op at a time, remote ops come in through the change
 * stream (the single ordered truth, which also acknowledges our own ops [C2]), and edits made offline
 * are kept and sent on reconnect [C4].
 */
export class DocumentSession {
  readonly id: string;
  /** The document and the share link key it was opened with, sent on every call [A2]. */
  readonly #ref: { readonly id: string; readonly key?: string };
  readonly #transport: SessionTransport;
  readonly #events = new Emitter<DocumentEvents>();
  #doc: ClientDocument;
  #connection: DocumentStatus['connection'] = 'connecting';
  #everConnected = false;
  #subscribed = false;
  #closed = false;
  #changes: { unsubscribe(): void } | undefined;
  #presenceStream: { unsubscribe(): void } | undefined;
  readonly #others = new Map<string, PresenceEntry>();
  #ownPresence: { user: PresenceUser; range: Range | null } | undefined;
  #presenceTimer: ReturnType<typeof setTimeout> | undefined;
  #presenceSentAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The server refused our op as made on too old a version [L1]: it waits for the change stream. */
  #awaitingCatchUp = false;
  readonly #stopConnection: () => void;

  constructor(transport: SessionTransport, snapshot: DocumentSnapshot, key?: string) {
    this.id = snapshot.id;
    this.#ref = key === undefined ? { id: snapshot.id } : { id: snapshot.id, key };
    this.#transport = transport;
    this.#doc = new ClientDocument({
      clientId: transport.clientId,
      version: snapshot.version,
      contents: new Delta(snapshot.delta.ops),
    });
    this.#stopConnection = transport.onConnection((open, closeCode) => this.#onConnection(open, closeCode));
    this.#subscribeChanges();
    this.#subscribePresence();
  }

  /** The document as this client sees it: the server's version plus local edits not yet acknowledged. */
  get contents(): Delta {
    return this.#doc.contents;
  }

  /** The last server version this copy has integrated. */
  get version(): number {
    return this.#doc.version;
  }

  get status(): DocumentStatus {
    return {
      connection: this.#connection,
      pendingEdits: this.#doc.pendingCount,
      everConnected: this.#everConnected,
    };
  }

  on<K extends keyof DocumentEvents>(event: K, listener: DocumentEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  /** Records a local edit (in coordinates of `contents`) and sends it when the connection allows. */
  apply(change: Delta): void {
    if (this.#closed) throw new Error('the document session is closed');
    // Refused here as the server would refuse it [A7], before it becomes part of the local copy.
    const problem = deltaContentProblem(change.ops);
    if (problem) throw new CollabError('InvalidOperation', `Invalid operation: ${problem}`);
    this.#doc.applyLocal(change);
    this.#emitStatus();
    this.#emitPresence();
    this.#pump();
  }

  /** Publishes this user's cursor or selection (null: not in the editor) [C6]. */
  setPresence(user: PresenceUser, range: Range | null): void {
    this.#ownPresence = { user, range };
    const wait = this.#presenceSentAt + presenceThrottleMs - Date.now();
    this.#schedulePresence(Math.max(0, wait));
  }

  /** Stops following the document; its presence disappears for others. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#changes?.unsubscribe();
    this.#presenceStream?.unsubscribe();
    this.#stopConnection();
    clearTimeout(this.#presenceTimer);
    clearTimeout(this.#retryTimer);
    this.#events.clear();
  }

  #subscribeChanges(): void {
    this.#changes?.unsubscribe();
    this.#subscribed = false;
    this.#changes = this.#transport.api.documents.changes.subscribe(
      { ...this.#ref, sinceVersion: this.#doc.version },
      {
        onStarted: () => {
          this.#subscribed = true;
          this.#awaitingCatchUp = false;
          this.#setConnection('online');
          this.#pump();
        },
        onData: ({ data }) => this.#receive(data),
        onError: (error) => {
          const failure = toCollabError(error);
          this.#events.emit('error', failure);
          // Access to the document ended (a link revoked, general access lowered) [A3]: asking again
          // would only be refused again.
          if (failure.tag === 'DocumentNotFound' || failure.tag === 'Unauthorized') return;
          // The stream ended on a server error: start over from what we have.
          if (!this.#closed) setTimeout(() => !this.#closed && this.#subscribeChanges(), retryDelayMs);
        },
      },
    );
  }

  #receive(event: ChangesEvent): void {
    let acknowledged = false;
    for (const op of event.ops) {
      let result: ReturnType<ClientDocument['receive']>;
      try {
        result = this.#doc.receive({
          version: op.version,
          delta: new Delta(op.delta.ops),
          clientId: op.clientId,
          seq: op.seq,
        });
      } catch (error) {
        // A gap or an op that does not apply: this copy cannot be trusted any more.
        void this.#resync(error);
        return;
      }
      if (result.kind === 'remote') this.#events.emit('change', result.delta);
      if (result.kind === 'ack') acknowledged = true;
    }
    if (acknowledged || this.#awaitingCatchUp) {
      this.#awaitingCatchUp = false;
      this.#pump();
      // Our cursor was sent relative to the op just acknowledged: send it again in settled coordinates.
      if (this.#ownPresence) this.setPresence(this.#ownPresence.user, this.#ownPresence.range);
    }
    this.#emitStatus();
    this.#emitPresence();
  }

  /** Sends the in-flight op if it has not been sent on this connection [C4]. */
  #pump(): void {
    if (this.#closed || !this.#subscribed || this.#awaitingCatchUp || !this.#transport.isOpen()) return;
    const outgoing = this.#doc.takeOutgoing();
    if (!outgoing) return;
    this.#transport.api.documents.submit
      .mutate({
        ...this.#ref,
        clientId: this.#doc.clientId,
        seq: outgoing.seq,
        baseVersion: outgoing.baseVersion,
        delta: { ops: outgoing.delta.ops as DeltaJson['ops'] },
      })
      .catch((cause: unknown) => {
        if (this.#closed || this.#doc.inFlight?.seq !== outgoing.seq) return;
        const error = toCollabError(cause);
        this.#doc.markDisconnected();
        if (error.tag === 'Disconnected') return; // resent on reconnect
        if (error.tag === 'VersionTooOld') {
          this.#resendAfterCatchingUp(outgoing.baseVersion);
          return;
        }
        if (error.retryable) {
          clearTimeout(this.#retryTimer);
          this.#retryTimer = setTimeout(() => this.#pump(), retryDelayMs);
          return;
        }
        // The server refused the edit: it can never apply, so take the server's document instead.
        this.#events.emit('error', error);
        void this.#resync(error);
      });
  }

  /**
   * [L1] The op was made on a version older than the server rebases from, so this copy is far behind.
   * The change stream is bringing it up to date from the server's copy: every op it delivers transforms
   * our pending edits (nothing typed is dropped), and recognises our own op if it was committed after all
   * [C3]. The op is sent again, from the newer version, once the stream has delivered more (at once if it
   * already has).
   */
  #resendAfterCatchingUp(sentOnVersion: number): void {
    if (this.#doc.version > sentOnVersion) this.#pump();
    else this.#awaitingCatchUp = true;
  }

  /** Replaces the local copy with the server's current document; unacknowledged edits are dropped. */
  async #resync(reason: unknown): Promise<void> {
    if (this.#closed) return;
    this.#changes?.unsubscribe();
    this.#subscribed = false;
    try {
      const snapshot = await this.#transport.api.documents.get.query(this.#ref);
      if (this.#closed) return;
      this.#doc = new ClientDocument({
        clientId: this.#doc.clientId,
        version: snapshot.version,
        contents: new Delta(snapshot.delta.ops),
        nextSeq: this.#doc.nextSeq,
      });
      this.#events.emit('reset', this.#doc.contents);
      this.#emitStatus();
      this.#subscribeChanges();
    } catch (error) {
      this.#events.emit('error', toCollabError(error ?? reason));
      if (!this.#closed) setTimeout(() => void this.#resync(reason), retryDelayMs * 4);
    }
  }

  #onConnection(open: boolean, closeCode?: number): void {
    if (open) {
      // Subscriptions resume by themselves (from the last event id); onStarted pumps the op again.
      this.#sendPresence();
      return;
    }
    this.#subscribed = false;
    if (closeCode === messageTooBig && this.#doc.inFlight) {
      // The server dropped the socket over a message it will never take: sending it again would loop.
      const error = new CollabError('LimitExceeded', 'The edit is larger than the server accepts');
      this.#events.emit('error', error);
      void this.#resync(error);
    }
    this.#doc.markDisconnected();
    // The presence stream re-sends everyone present when it resumes; whoever left meanwhile is gone.
    this.#others.clear();
    this.#emitPresence();
    this.#setConnection('offline');
  }

  #setConnection(connection: DocumentStatus['connection']): void {
    if (connection === 'online') this.#everConnected = true;
    if (this.#connection === connection) return;
    this.#connection = connection;
    this.#emitStatus();
  }

  #emitStatus(): void {
    this.#events.emit('status', this.status);
  }

  #subscribePresence(): void {
    this.#presenceStream = this.#transport.api.presence.stream.subscribe(
      { ...this.#ref, clientId: this.#doc.clientId },
      {
        onData: (data: { events: PresenceEvent[] }) => {
          for (const event of data.events) {
            if (event.type === 'leave') this.#others.delete(event.clientId);
            else this.#others.set(event.entry.clientId, event.entry);
          }
          this.#emitPresence();
        },
        onError: () => {
          // Presence is best effort; the next reconnect or update brings it back.
        },
      },
    );
  }

  #emitPresence(): void {
    const others: RemotePresence[] = [];
    for (const entry of this.#others.values()) {
      const range =
        entry.range &&
        (this.#doc.transformRange(entry.range, { version: entry.version, clientId: entry.clientId }) ?? null);
      others.push({ clientId: entry.clientId, user: entry.user, range });
    }
    this.#events.emit('presence', others);
  }

  #schedulePresence(delayMs: number): void {
    clearTimeout(this.#presenceTimer);
    this.#presenceTimer = setTimeout(() => this.#sendPresence(), delayMs);
  }

  #sendPresence(): void {
    const own = this.#ownPresence;
    if (this.#closed || !own) return;
    this.#presenceSentAt = Date.now();
    this.#schedulePresence(presenceRefreshMs);
    if (!this.#transport.isOpen()) return;
    const range = own.range && this.#doc.toServerRange(own.range);
    this.#transport.api.presence.update
      .mutate({
        ...this.#ref,
        clientId: this.#doc.clientId,
        user: own.user,
        range,
        version: this.#doc.version,
      })
      .catch(() => {
        // Best effort: the periodic refresh sends it again.
      });
  }
}
