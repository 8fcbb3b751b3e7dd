import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Delta, OutgoingOp } from '@collab/ot';
import { DocumentId, errorCatalogue, type Limits, resendDelayMs } from '@collab/protocol';
import * as Effect from 'effect/Effect';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { AccessWatch } from '../access/AccessControl.js';
import { anonymous } from '../access/principal.js';
import type { AppServices } from '../app.js';
import type { AppError } from '../domain/errors.js';
import {
  BoundedSocket,
  type Bounds,
  creationAdmission,
  quotaKeyOf,
  type TokenBucket,
  tokenBucket,
} from '../limits/index.js';
import { log } from '../log.js';
import { changesPageSize } from '../sessions/DocumentSession.js';
import type { SessionLease } from '../sessions/DocumentSessions.js';
import { dbDocumentFrame, errorFrame, parseClientFrame, updateDocumentFrame } from './frames.js';
import { type ChangeOutcome, LegacyView } from './LegacyView.js';

/** The seed's WebSocket endpoint: `/api/socket/ws/{documentId}` (docs/SPEC.md §6). */
export const legacySocketPrefix = '/api/socket/ws/';

export function isLegacySocketPath(path: string): boolean {
  return path.startsWith(legacySocketPrefix);
}

/** Close codes of the legacy socket (RFC 6455). */
export const LegacyCloseCode = {
  /** The path does not name a valid document id. */
  invalidDocumentId: 1008,
  /** The server could not read the document; reconnecting may help. */
  serverError: 1011,
  /** The document has as many connections as allowed; try again later. */
  tryAgainLater: 1013,
  /** The document's access no longer lets this socket in (it was lowered or the link revoked) [A3]. */
  accessEnded: 1008,
} as const;

/** A closed connection still commits the changes it sent; after this long it gives up waiting. */
const closeGraceMs = 30_000;
/**
 * How long a pong waits for a change right behind it. A browser answers the ping from its network stack,
 * and the page handles a keystroke queued meanwhile before the frames (input goes first): on a busy
 * machine its change came 60 ms after the pong, so a shorter wait took it as made after them and moved it.
 * A change is only read as made before the frames when it continues the typing at the caret they would
 * have moved, so a longer wait costs nothing to someone who typed after them.
 */
const acknowledgementHoldMs = 250;
/**
 * How long a keystroke whose place is in doubt waits for the next one to tell it (LegacyView): about the
 * pause between two keystrokes of someone typing.
 */
const decisionHoldMs = 250;

export interface LegacySocketOptions {
  readonly services: AppServices;
  readonly limits: Limits;
  readonly bounds: Bounds;
  /** Bytes queued on one socket before it is cut as a slow client [P1]. */
  readonly maxSocketBacklogBytes: number;
  /** Liveness ping interval; a connection that misses a whole interval is dropped. */
  readonly heartbeatMs?: number;
}

/** The legacy socket endpoint: a WebSocket server to route upgrades to, one `LegacyConnection` per socket. */
export function createLegacySocketServer(options: LegacySocketOptions) {
  // Frames up to twice the message limit are read, so that an oversized change is refused with an error
  // frame and undone on the client, rather than the socket dropped; past that the socket closes (1009).
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: 2 * options.limits.maxMessageBytes + 65_536,
    WebSocket: BoundedSocket,
  });
  const connections = new Set<LegacyConnection>();
  server.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    const connection = new LegacyConnection(socket, req, options);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  const heartbeat = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();
  server.on('close', () => clearInterval(heartbeat));
  return { server };
}

function documentIdOf(req: IncomingMessage): DocumentId | undefined {
  const url = req.url ?? '';
  const end = url.indexOf('?');
  const raw = (end === -1 ? url : url.slice(0, end)).slice(legacySocketPrefix.length);
  try {
    const parsed = DocumentId.safeParse(decodeURIComponent(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const describe = (error: AppError | undefined) => error?.message ?? errorCatalogue.Internal.message;

/** [C8] Refusals of the change itself; anything else (busy, an unexpected failure) is retried. */
const refusesTheOp = (error: AppError | undefined) =>
  error?._tag === 'InvalidOperation' || error?._tag === 'InvalidInput' || error?._tag === 'LimitExceeded';

/**
 * One seed-client socket on one document. Frames are handled synchronously as they arrive, so the view
 * (see `LegacyView`) sees changes, pongs and committed ops in the order the client produced them; only
 * storage work (loading, committing, reading missed ops) is asynchronous.
 */
class LegacyConnection {
  /**
   * Random, so `(clientId, seq)` stays unique across connections and restarts [C3]; under the anonymous
   * principal the seed's clients act for [A8].
   */
  readonly #view = new LegacyView(`${anonymous.authorId}.legacy-${randomBytes(12).toString('base64url')}`);
  /** What the anonymous principal may do here, known once the document is loaded [A3]. */
  #canEdit = false;
  #watch: AccessWatch | undefined;
  readonly #socket: WebSocket;
  /** The TCP socket under the WebSocket, to write a batch of frames and its ping in one go. */
  readonly #transport: IncomingMessage['socket'];
  readonly #options: LegacySocketOptions;
  readonly #docId: DocumentId | undefined;
  readonly #takeToken: TokenBucket;
  /** [A6] the client's address: the legacy socket's principal for quotas until it has an established one. */
  readonly #address: string;
  readonly #stop = new AbortController();
  #lease: SessionLease | undefined;
  #loading = false;
  #reloadAfterLoading = false;
  #closed = false;
  #finished = false;
  #awaitingPong = false;
  #decideTimer: ReturnType<typeof setTimeout> | undefined;
  /** The newest frame a pong's hold timer was started for. */
  #lastTimedPong = 0;
  /** Failed attempts to commit the current op, for the backoff. */
  #resendAttempt = 0;

  constructor(socket: WebSocket, req: IncomingMessage, options: LegacySocketOptions) {
    this.#socket = socket;
    this.#transport = req.socket;
    this.#options = options;
    this.#takeToken = tokenBucket(options.limits.maxOpsPerSecond);
    this.#address = options.bounds.addressOf(req);
    this.#docId = documentIdOf(req);
    socket.on('close', () => this.#onClose());
    socket.on('error', (error) => log.debug('legacy socket error', { docId: this.#docId, error }));
    if (!this.#docId) {
      socket.close(LegacyCloseCode.invalidDocumentId, 'invalid document id');
      return;
    }
    socket.on('message', (data, isBinary) => this.#guard(() => this.#onMessage(data, isBinary)));
    socket.on('pong', (data) => this.#guard(() => this.#onPong(data)));
  }

  /** Called every heartbeat interval: a connection that did not answer the previous ping is dropped. */
  heartbeat(): void {
    if (this.#closed) return;
    if (this.#awaitingPong) {
      log.info('legacy socket unresponsive; closing', { docId: this.#docId });
      this.#socket.terminate();
      return;
    }
    this.#awaitingPong = true;
    this.#socket.ping(String(this.#view.framesSent));
  }

  /** A bug in handling one frame is logged and reported; the connection and the server carry on. */
  #guard(handle: () => void): void {
    try {
      handle();
    } catch (error) {
      log.error('legacy frame failed', { docId: this.#docId, error });
      this.#sendError(errorCatalogue.Internal.message);
    }
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#sendError('Binary frames are not supported: send {"key": …, "value": …} as JSON text');
      return;
    }
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? Buffer.from(data)
        : data;
    const text = bytes.toString('utf8');
    const parsed = parseClientFrame(text, this.#options.limits);
    const { maxMessageBytes } = this.#options.limits;
    if (bytes.length > maxMessageBytes) {
      const refusal = `The frame is ${bytes.length} bytes, over the limit of ${maxMessageBytes} bytes`;
      if (parsed.ok && parsed.frame.key === 'changes-received') this.#change(parsed.frame.delta, refusal);
      else {
        if (!parsed.ok && parsed.key === 'changes-received') this.#view.markUncertain();
        this.#sendError(refusal);
      }
      return;
    }
    if (!parsed.ok) {
      if (parsed.key === 'changes-received') this.#view.markUncertain();
      this.#sendError(parsed.message);
      return;
    }
    const allowed = this.#takeToken() === 0;
    const { frame } = parsed;
    switch (frame.key) {
      case 'get-document':
        if (allowed) this.#load();
        else this.#sendError('Too many requests on this connection; slow down');
        return;
      case 'changes-received':
        if (this.#view.loaded && !this.#canEdit) {
          this.#change(frame.delta, 'You can view this document but not change it');
          return;
        }
        this.#change(frame.delta, allowed ? undefined : 'Too many changes on this connection; slow down');
        return;
      case 'save-changes':
        // Never written: the op log already holds the client's edits (see LegacyView). A flood is ignored.
        if (!allowed) return;
        if (this.#view.report(frame.contents) === 'corrected') {
          log.info('legacy client out of step; correcting it', { docId: this.#docId });
        }
        this.#flush();
        return;
    }
  }

  /** `refusal`: why the change is not accepted (it is then undone on the client). */
  #change(delta: Delta, refusal?: string): void {
    if (!this.#view.loaded) {
      if (!this.#loading) this.#sendError('Send "get-document" first: no document is loaded on this socket');
      return;
    }
    this.#onOutcome(this.#view.change(delta, refusal === undefined), refusal);
    this.#flush();
  }

  /** Acts on what became of a change. */
  #onOutcome(outcome: ChangeOutcome | undefined, refusal?: string): void {
    switch (outcome?.kind) {
      case 'undecided':
        // [C11] Its place waits for the next change; without one soon, it is placed as typed after.
        clearTimeout(this.#decideTimer);
        this.#decideTimer = setTimeout(
          () =>
            this.#guard(() => {
              if (this.#finished) return;
              this.#onOutcome(this.#view.decide());
              this.#flush();
            }),
          decisionHoldMs,
        ).unref();
        break;
      case 'invalid':
        this.#sendError(`Change refused: ${outcome.reason}`);
        break;
      case 'reverted':
        this.#sendError(`${refusal}: the change was undone`);
        break;
      case 'diverged':
        log.warn('legacy change did not fit; reloading the client', {
          docId: this.#docId,
          reason: outcome.reason,
        });
        this.#reload();
        break;
    }
  }

  #onPong(data: Buffer): void {
    this.#awaitingPong = false;
    const frame = Number(data.toString('utf8'));
    if (!this.#view.loaded || !Number.isSafeInteger(frame)) return;
    this.#view.acknowledge(frame);
    this.#flush();
    // A change right behind the pong decides how it is read (see LegacyView); without one, its frames count
    // once the hold is over. One timer per pong for new frames: a client's own pongs cannot add more.
    if (frame <= this.#lastTimedPong || frame > this.#view.framesSent) return;
    this.#lastTimedPong = frame;
    setTimeout(
      () =>
        this.#guard(() => {
          if (this.#finished) return;
          this.#view.settleAcknowledgement(frame);
          this.#flush();
        }),
      acknowledgementHoldMs,
    ).unref();
  }

  /** `get-document`: load (creating the document if needed, as the seed's client expects) and send it. */
  #load(): void {
    if (this.#lease) {
      this.#reload();
      this.#flush();
      return;
    }
    if (this.#loading) {
      this.#reloadAfterLoading = true;
      return;
    }
    this.#loading = true;
    void this.#acquire().finally(() => {
      this.#loading = false;
    });
  }

  async #acquire(): Promise<void> {
    const docId = this.#docId as DocumentId;
    const { sessions, access } = this.#options.services;
    const context = { route: 'legacy.get-document', docId };
    // [A3] [A8] the seed's client acts for the anonymous principal: the document's general access decides.
    const allowed = await this.#options.services.settle(
      access
        .claim(anonymous, docId)
        .pipe(Effect.andThen(access.require(anonymous, docId, undefined, 'viewer'))),
      context,
    );
    if (!allowed.ok) {
      this.#sendError(describe(allowed.error));
      if (allowed.error?._tag !== undefined) this.#socket.close(LegacyCloseCode.accessEnded, 'no access');
      return;
    }
    this.#canEdit = allowed.value !== 'viewer';
    const { quotas } = this.#options.bounds;
    const admit = creationAdmission(quotas, quotaKeyOf(anonymous, this.#address), this.#address);
    const created = await this.#options.services.settle(sessions.getOrCreate(docId, admit), context);
    if (!created.ok) {
      this.#sendError(describe(created.error));
      return;
    }
    const leased = await this.#options.services.settle(sessions.lease(docId), context);
    if (!leased.ok) {
      if (leased.error?._tag === 'TooManyConnections') {
        this.#socket.close(LegacyCloseCode.tryAgainLater, 'too many connections to this document');
      } else {
        this.#sendError(describe(leased.error));
      }
      return;
    }
    if (this.#closed) {
      leased.value.release();
      return;
    }
    this.#lease = leased.value;
    this.#watch = access.watch(anonymous, docId, undefined, this.#canEdit ? 'editor' : 'viewer');
    this.#watch.signal.addEventListener('abort', () =>
      this.#socket.close(LegacyCloseCode.accessEnded, 'access to the document changed; reconnect'),
    );
    this.#reload();
    if (this.#reloadAfterLoading) this.#reload();
    this.#reloadAfterLoading = false;
    this.#flush();
    void this.#follow(leased.value);
  }

  /** Sends the document as it is now and starts the view over from it. */
  #reload(): void {
    const session = this.#lease?.session;
    if (!session) return;
    this.#view.reset(session.version, session.document);
  }

  /** Sends what the view has for the client, with a ping to learn when it arrived; submits a due change. */
  #flush(): void {
    const frames = this.#view.takeFrames();
    if (frames.length > 0 && this.#socket.readyState === this.#socket.OPEN) {
      const docId = this.#docId as DocumentId;
      // One write for the frames and the ping after them, so that a client reads them together and answers
      // the ping right after applying them: proxies pass a segment on as they get it.
      this.#transport.cork();
      for (const frame of frames) {
        this.#socket.send(
          frame.kind === 'document'
            ? dbDocumentFrame(docId, frame.contents.ops)
            : updateDocumentFrame(frame.delta),
        );
      }
      this.#socket.ping(String(this.#view.framesSent));
      this.#transport.uncork();
    }
    const op = this.#view.takeOutgoing();
    if (op) this.#submit(op);
  }

  #submit(op: OutgoingOp): void {
    const docId = this.#docId as DocumentId;
    const generation = this.#view.generation;
    const request = {
      clientId: this.#view.clientId,
      seq: op.seq,
      baseVersion: op.baseVersion,
      delta: op.delta,
    };
    void this.#options.services
      .settle(this.#options.services.sessions.submit(docId, request), {
        route: 'legacy.changes-received',
        docId,
      })
      .then((outcome) => {
        // Success is seen in the committed ops, like any client's acknowledgement [C2].
        if (outcome.ok || generation !== this.#view.generation) {
          this.#resendAttempt = 0;
          return;
        }
        if (!refusesTheOp(outcome.error)) {
          // [C8] busy or failing for now: the same op again after a pause; the tab keeps every edit.
          const delay = resendDelayMs(this.#resendAttempt++);
          setTimeout(() => {
            if (this.#finished || generation !== this.#view.generation) return;
            this.#view.resend();
            this.#flush();
          }, delay).unref();
          return;
        }
        if (this.#closed) {
          this.#finish();
          return;
        }
        this.#sendError(`Change refused: ${describe(outcome.error)}; the document was reloaded`);
        this.#reload();
        this.#flush();
      });
  }

  /**
   * Follows the document's committed ops like a `documents.changes` subscription [C2] [P1]: woken once per
   * event-loop turn, reads what it has not integrated yet, hands it to the view, and sends the result.
   */
  async #follow(lease: SessionLease): Promise<void> {
    const { session } = lease;
    const signal = this.#stop.signal;
    const docId = this.#docId as DocumentId;
    while (!signal.aborted) {
      const from = this.#view.version;
      const generation = this.#view.generation;
      const visible = session.visibleVersion;
      if (visible <= from) {
        await session.waitForChangeAfter(from, signal);
        continue;
      }
      if (!this.#closed && this.#socket.bufferedAmount > this.#options.maxSocketBacklogBytes) {
        log.warn('slow legacy client disconnected', { docId });
        this.#socket.terminate();
      }
      const read = await this.#options.services.settle(session.opsBetween(from, visible, changesPageSize), {
        route: 'legacy.follow',
        docId,
      });
      if (!read.ok) {
        this.#socket.close(LegacyCloseCode.serverError, 'could not read the document; reconnect');
        this.#finish();
        return;
      }
      if (this.#view.generation !== generation || this.#view.version !== from) continue;
      if (!this.#view.committed(read.value)) {
        log.warn('committed ops did not fit a legacy view; reloading the client', { docId });
        this.#reload();
      }
      this.#flush();
      if (this.#closed && this.#view.pendingEdits === 0) this.#finish();
    }
  }

  #sendError(message: string): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(errorFrame(message));
  }

  /**
   * The socket closed: nothing more is sent to it. Changes it already sent are still committed (the seed's
   * user saw them applied), then the connection leaves the document.
   */
  #onClose(): void {
    this.#closed = true;
    // A keystroke still waiting for its place is the tab's last one: placed now and committed.
    this.#onOutcome(this.#view.decide());
    this.#flush();
    if (!this.#lease || this.#view.pendingEdits === 0) {
      this.#finish();
      return;
    }
    setTimeout(() => this.#finish(), closeGraceMs).unref();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#decideTimer);
    this.#watch?.stop();
    this.#stop.abort();
    this.#lease?.release();
  }
}
