import { ClientDocument, Delta, type DocumentTree, isNoop, type Range, rebaseOnto } from '@collab/ot';
import {
  type ChangesEvent,
  type DeltaJson,
  type DocumentSnapshot,
  deltaContentProblem,
  type PresenceEntry,
  type PresenceEvent,
  type PresenceUser,
  resendDelayMs,
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

/**
 * [C10] Local edits the server has not acknowledged, in a form to keep (JSON) and hand to a later
 * session: the server document they were made on, the op in flight with its seq, and the buffer.
 */
export interface UnsavedEdits {
  /** The server version `confirmed` is at. */
  readonly version: number;
  /**
   * The server's document at `version`. `unsavedEdits()` gives it as JSON text: it is the large part (a
   * megabyte for a long document), text is what storage copies fastest, and the session makes it once
   * per version. Earlier sessions kept it as a delta; both are restored.
   */
  readonly confirmed: DeltaJson | string;
  readonly inFlight: { readonly seq: number; readonly delta: DeltaJson };
  readonly buffer?: DeltaJson | undefined;
  /** The seq after every seq this session used. */
  readonly nextSeq: number;
}

export interface ClientSessionOptions {
  /**
   * The first seq to use, past every seq an earlier session of this clientId used on this document, since
   * the server remembers each `(clientId, seq)` for good [C3].
   */
  readonly nextSeq?: number;
  /** [C10] Edits an earlier session of this clientId left unacknowledged, to restore and send. */
  readonly restore?: UnsavedEdits | undefined;
  /** The share link key the document was opened with, sent on every call [A2]. */
  readonly key?: string | undefined;
}

/** Another person in the document, with their cursor in local coordinates (null: no selection). */
export interface RemotePresence {
  readonly clientId: string;
  readonly user: PresenceUser;
  readonly range: Range | null;
}

/** Why the local copy was replaced by the server's, and what of the local edits was not kept [C8]. */
export interface ResetNotice {
  /** The server's refusal (or the failure) that made the copy start over. */
  readonly reason: CollabError;
  /** The edit that was not kept (on the document as it was before it), if one was dropped. */
  readonly dropped: Delta | undefined;
  /** Whether edits made after the dropped one were kept (re-applied on the server's copy). */
  readonly keptLaterEdits: boolean;
}

export type DocumentEvents = {
  /** A remote change, already transformed over local pending edits: apply it to the editor as is. */
  change: (delta: Delta) => void;
  /**
   * The local copy was replaced by the server's (after an edit the server refused), with the later local
   * edits re-applied: show `contents`, and tell the person what `notice` says was dropped.
   */
  reset: (contents: Delta, notice: ResetNotice) => void;
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
/** Delay before resubscribing or reloading after a failure. */
const retryDelayMs = 500;
/**
 * [C8] Refusals of the op itself: sending it again can never succeed. Every other failure (busy, throttled,
 * rate limited, an unexpected server error) is retried with the same `(clientId, seq)`.
 */
const refusesTheOp = new Set(['InvalidOperation', 'InvalidInput', 'LimitExceeded', 'Forbidden']);

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
export class ClientSession {
  readonly id: string;
  /** The document and the share link key it was opened with, sent on every call [A2]. */
  readonly #ref: { readonly id: string; readonly key?: string };
  readonly #transport: SessionTransport;
  readonly #events = new Emitter<DocumentEvents>();
  #doc: ClientDocument;
  #connection: DocumentStatus['connection'] = 'connecting';
  #everConnected = false;
  // Stryker disable next-line BooleanLiteral: the constructor's #subscribeChanges sets it before any use.
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
  // Stryker disable next-line BooleanLiteral: onStarted clears it, and tRPC starts a stream before its data.
  #awaitingCatchUp = false;
  /** Failed attempts to send the current in-flight op, for the backoff. */
  #resendAttempt = 0;
  /** [C10] `confirmed` of `unsavedEdits()` as JSON text, for the copy and version it was made from. */
  #confirmedText:
    | { readonly doc: ClientDocument; readonly version: number; readonly text: string }
    | undefined;
  readonly #stopConnection: () => void;

  constructor(transport: SessionTransport, snapshot: DocumentSnapshot, options: ClientSessionOptions = {}) {
    this.id = snapshot.id;
    this.#ref = options.key === undefined ? { id: snapshot.id } : { id: snapshot.id, key: options.key };
    this.#transport = transport;
    this.#doc = restoredDocument(transport.clientId, snapshot, options);
    this.#stopConnection = transport.onConnection((open, closeCode) => this.#onConnection(open, closeCode));
    this.#subscribeChanges();
    this.#subscribePresence();
  }

  /** The document as this client sees it: the server's version plus local edits not yet acknowledged. */
  get contents(): Delta {
    return this.#doc.contents;
  }

  /** `contents` as a tree, to read lines of without serialising the document. */
  get document(): DocumentTree {
    return this.#doc.document;
  }

  /** The seq the next op will take. */
  get nextSeq(): number {
    return this.#doc.nextSeq;
  }

  /**
   * [C10] The edits not acknowledged yet, to keep somewhere safe; undefined when everything is saved. The
   * server's document they were made on is written out once per version (the first call after the version
   * changed costs a pass over the whole document; later ones only the edits).
   */
  unsavedEdits(): UnsavedEdits | undefined {
    const doc = this.#doc;
    const inFlight = doc.inFlight;
    if (inFlight === undefined) return undefined;
    const cached = this.#confirmedText;
    // The copy is replaced on a resync (possibly at the same version number): the cache is per copy.
    const text =
      cached?.doc === doc && cached.version === doc.version
        ? cached.text
        : JSON.stringify(toJson(doc.confirmed));
    this.#confirmedText = { doc, version: doc.version, text };
    return {
      version: doc.version,
      confirmed: text,
      inFlight: { seq: inFlight.seq, delta: toJson(inFlight.delta) },
      buffer: doc.buffer && toJson(doc.buffer),
      nextSeq: doc.nextSeq,
    };
  }

  /** The seq of the op sent and not acknowledged yet (undefined when none): it moves on with each acknowledgement. */
  get inFlightSeq(): number | undefined {
    return this.#doc.inFlight?.seq;
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
    // Stryker disable next-line OptionalChaining: both streams are opened by the constructor.
    this.#changes?.unsubscribe();
    // Stryker disable next-line OptionalChaining: both streams are opened by the constructor.
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
        void this.#resync(
          new CollabError('Internal', 'This copy of the document fell out of step', { cause: error }),
        );
        return;
      }
      if (result.kind === 'remote') this.#events.emit('change', result.delta);
      if (result.kind === 'ack') {
        acknowledged = true;
        this.#resendAttempt = 0;
      }
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
        if (!refusesTheOp.has(error.tag)) {
          // [C8] a transient failure: the same op, same seq, after a growing pause; every edit is kept.
          if (this.#resendAttempt === 0) this.#events.emit('error', error);
          clearTimeout(this.#retryTimer);
          this.#retryTimer = setTimeout(() => this.#pump(), resendDelayMs(this.#resendAttempt++));
          return;
        }
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

  /**
   * Starts over from the server's current document and re-applies the local edits on it, rebased, so
   * nothing typed is lost; edits made while the document is being fetched are kept too. `refusedSeq`
   * [C8]: the op in flight when the trouble began, which the server refused (or whose fate is unknown when
   * this copy fell out of step): only the edits made after it are re-applied, and the person is told what
   * was dropped (`reset`). An edit typed while the server's copy was being read was never sent: it is kept.
   */
  async #resync(reason: CollabError, refusedSeq = this.#doc.inFlight?.seq): Promise<void> {
    if (this.#closed) return;
    // Stryker disable next-line OptionalChaining: the change stream is opened by the constructor.
    this.#changes?.unsubscribe();
    this.#subscribed = false;
    clearTimeout(this.#retryTimer);
    try {
      const snapshot = await this.#transport.api.documents.get.query(this.#ref);
      if (this.#closed) return;
      const old = this.#doc;
      const refused = old.inFlight?.seq === refusedSeq ? old.inFlight : undefined;
      const dropped = refused?.delta;
      const kept = refused ? old.pendingChangeWithoutInFlight : old.pendingChange;
      const next = new ClientDocument({
        clientId: old.clientId,
        version: snapshot.version,
        contents: new Delta(snapshot.delta.ops),
        nextSeq: old.nextSeq,
      });
      const keptLaterEdits =
        kept !== undefined && reapply(next, rebaseOnto(old.confirmed, kept, next.contents));
      this.#doc = next;
      this.#resendAttempt = 0;
      this.#events.emit('reset', next.contents, { reason, dropped, keptLaterEdits });
      this.#emitStatus();
      this.#subscribeChanges();
    } catch (error) {
      this.#events.emit('error', toCollabError(error));
      if (!this.#closed) setTimeout(() => void this.#resync(reason, refusedSeq), retryDelayMs * 4);
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

/**
 * Applies kept edits to a fresh copy. False when nothing was left to apply, or when the rebased change no
 * longer applies (it is then reported as not kept rather than stopping the reset).
 */
function reapply(doc: ClientDocument, change: Delta): boolean {
  if (isNoop(change)) return false;
  try {
    doc.applyLocal(change);
    return true;
  } catch {
    return false;
  }
}

const toJson = (delta: Delta): DeltaJson => ({ ops: delta.ops as DeltaJson['ops'] });

/**
 * The session's starting copy: the server's snapshot, with an earlier session's unacknowledged edits on
 * top when there are some [C10]. They are restored at the version they were made on, so the change stream
 * replays what was committed since and the op in flight is recognised if the server already has it; edits
 * from a version the server does not have (it lost them) are moved onto its document instead.
 */
function restoredDocument(
  clientId: string,
  snapshot: DocumentSnapshot,
  { nextSeq = 0, restore }: ClientSessionOptions,
): ClientDocument {
  const fresh = () =>
    new ClientDocument({
      clientId,
      version: snapshot.version,
      contents: new Delta(snapshot.delta.ops),
      nextSeq,
    });
  if (restore === undefined) return fresh();
  const confirmedJson: DeltaJson =
    typeof restore.confirmed === 'string' ? JSON.parse(restore.confirmed) : restore.confirmed;
  const confirmed = new Delta(confirmedJson.ops);
  const inFlight = { seq: restore.inFlight.seq, delta: new Delta(restore.inFlight.delta.ops) };
  const buffer = restore.buffer && new Delta(restore.buffer.ops);
  const seqs = Math.max(nextSeq, restore.nextSeq);
  if (restore.version <= snapshot.version) {
    return new ClientDocument({
      clientId,
      version: restore.version,
      contents: confirmed,
      nextSeq: seqs,
      pending: { inFlight, buffer },
    });
  }
  const doc = new ClientDocument({
    clientId,
    version: snapshot.version,
    contents: new Delta(snapshot.delta.ops),
    nextSeq: seqs,
  });
  const edits = buffer ? inFlight.delta.compose(buffer) : inFlight.delta;
  reapply(doc, rebaseOnto(confirmed, edits, doc.contents));
  return doc;
}
