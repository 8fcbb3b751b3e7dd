import type { Delta } from './delta.js';
import { isNoop, keepFinalNewline } from './document.js';
import { type Range, transformRange, untransformRange } from './presence.js';
import { winsTie } from './rebase.js';
import { DocumentTree } from './tree/DocumentTree.js';
import { validateChange, validateDocument } from './validate.js';

/** A local op handed to the server (or about to be): its sequence number and its current delta. */
export interface PendingOp {
  readonly seq: number;
  readonly delta: Delta;
}

/** What to submit: the in-flight op, transformed to apply at `baseVersion`. */
export interface OutgoingOp {
  readonly seq: number;
  readonly baseVersion: number;
  readonly delta: Delta;
}

/** A committed op as the server's change stream delivers it [C2]. */
export interface IncomingOp {
  readonly version: number;
  readonly delta: Delta;
  readonly clientId: string;
  readonly seq: number;
}

export type ReceiveResult =
  /** Our in-flight op was committed as `version`. */
  | { kind: 'ack'; version: number }
  /** Someone else's op, transformed over our pending edits: apply `delta` to the editor. */
  | { kind: 'remote'; version: number; delta: Delta }
  /** An op at or below our version, already integrated: ignore it. */
  | { kind: 'stale' };

export type ClientState = 'synchronized' | 'awaitingConfirm' | 'awaitingWithBuffer';

export interface ClientDocumentInit {
  /** Unique per session: with `seq` it names an op across reconnects [C3]. */
  clientId: string;
  /** The server version `contents` is at. */
  version: number;
  contents: Delta;
  /** First seq to hand out; continue from a previous session's `nextSeq` when reusing its clientId. */
  nextSeq?: number;
  /** How many committed ops to remember for moving presence from older versions (default 100). */
  historyLimit?: number;
  /**
   * [C10] Local edits of an earlier session that the server has not acknowledged, on `contents`: the op
   * that was in flight keeps its seq (the server may have committed it already and then recognises it),
   * the buffer becomes the next op. Each counts as one pending edit.
   */
  pending?: { readonly inFlight: PendingOp; readonly buffer?: Delta | undefined };
}

interface InFlight extends PendingOp {
  /** Sent on the current connection; cleared by `markDisconnected` so the op is offered again. */
  readonly sent: boolean;
  /** Local edits composed into this op (for `pendingCount`). */
  readonly edits: number;
}

interface Buffered {
  readonly delta: Delta;
  readonly edits: number;
}

interface CommittedEntry {
  readonly version: number;
  readonly delta: Delta;
  readonly clientId: string;
}

/**
 * [C4] One client's copy of a document: the classic OT client. At most one op is in flight; local
 * edits made meanwhile (or while offline) are composed into a buffer, sent once the in-flight op is
 * acknowledged. Remote ops are transformed over the in-flight op and the buffer before they reach the
 * editor, and those are transformed over the remote op, so they always apply at the head [C5].
 * Transport-agnostic: the owner feeds it the server's ops and sends what `takeOutgoing` returns.
 *
 * Deltas given to and returned by this class are treated as immutable.
 */
export class ClientDocument {
  readonly clientId: string;
  #version: number;
  #contents: DocumentTree;
  #nextSeq: number;
  #inFlight: InFlight | undefined;
  #buffer: Buffered | undefined;
  /** The server document at `version` while edits are pending; undefined when it equals `contents`. */
  #confirmed: DocumentTree | undefined;
  readonly #history: CommittedEntry[] = [];
  readonly #historyLimit: number;

  constructor(init: ClientDocumentInit) {
    const invalid = validateDocument(init.contents);
    if (invalid) throw new Error(`ClientDocument contents are not a document: ${invalid}`);
    if (!Number.isSafeInteger(init.version) || init.version < 0) {
      throw new Error(`ClientDocument version must be a non-negative integer, got ${init.version}`);
    }
    this.clientId = init.clientId;
    this.#version = init.version;
    this.#contents = DocumentTree.fromDelta(init.contents);
    this.#nextSeq = init.nextSeq ?? 0;
    this.#historyLimit = init.historyLimit ?? 100;
    if (init.pending) this.#restore(init.pending.inFlight, init.pending.buffer);
  }

  #restore(inFlight: PendingOp, buffer: Delta | undefined): void {
    const confirmed = this.#contents;
    let contents = confirmed;
    for (const change of buffer ? [inFlight.delta, buffer] : [inFlight.delta]) {
      const invalid = validateChange(change, contents);
      if (invalid) throw new Error(`restored edits do not apply to the document: ${invalid}`);
      contents = contents.apply(change);
    }
    if (inFlight.seq >= this.#nextSeq) this.#nextSeq = inFlight.seq + 1;
    this.#confirmed = confirmed;
    this.#contents = contents;
    this.#inFlight = { seq: inFlight.seq, delta: inFlight.delta, sent: false, edits: 1 };
    if (buffer !== undefined) this.#setBuffer(buffer, 1);
  }

  /** The last server version integrated (number of server ops seen) [D2]. */
  get version(): number {
    return this.#version;
  }

  /** What the editor shows: the server document at `version` plus the in-flight op and the buffer. */
  get contents(): Delta {
    return this.#contents.toDelta();
  }

  /** `contents` as a tree, to read positions of without serialising the document. */
  get document(): DocumentTree {
    return this.#contents;
  }

  /** Whether an op is awaiting its ack, and whether local edits are queued behind it. */
  get state(): ClientState {
    if (this.#inFlight === undefined) return 'synchronized';
    return this.#buffer === undefined ? 'awaitingConfirm' : 'awaitingWithBuffer';
  }

  /**
   * Local edits not yet acknowledged by the server (each non-noop `applyLocal` counts once). Edits
   * in a buffer that cancel out (typed, then deleted before sending) are settled and no longer count.
   */
  get pendingCount(): number {
    return (this.#inFlight?.edits ?? 0) + (this.#buffer?.edits ?? 0);
  }

  /** The op sent (or to send) and awaiting its acknowledgement, in coordinates of `version`. */
  get inFlight(): PendingOp | undefined {
    const inFlight = this.#inFlight;
    return inFlight && { seq: inFlight.seq, delta: inFlight.delta };
  }

  /** Local edits composed while an op is in flight, applying after it. */
  get buffer(): Delta | undefined {
    return this.#buffer?.delta;
  }

  /** The server's document at `version`, without the local edits not yet acknowledged. */
  get confirmed(): Delta {
    return (this.#confirmed ?? this.#contents).toDelta();
  }

  /** Every unacknowledged local edit as one change on `confirmed` (the in-flight op, then the buffer). */
  get pendingChange(): Delta | undefined {
    const inFlight = this.#inFlight;
    if (inFlight === undefined) return undefined;
    return this.#buffer === undefined ? inFlight.delta : inFlight.delta.compose(this.#buffer.delta);
  }

  /**
   * [C8] The buffered edits as a change on `confirmed`, as if the in-flight op had never been made: what
   * is left to keep when the server refuses the in-flight op itself.
   */
  get pendingChangeWithoutInFlight(): Delta | undefined {
    const inFlight = this.#inFlight;
    const buffer = this.#buffer;
    if (inFlight === undefined || buffer === undefined) return undefined;
    return inFlight.delta.invert(this.confirmed).transform(buffer.delta, true);
  }

  /** The seq the next op handed out will take; persist it to resume a session under the same clientId. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /**
   * Records a local edit (in coordinates of `contents`). Throws when the change does not apply, since
   * that means the editor and this copy have diverged; the owner should reload the document.
   */
  applyLocal(edit: Delta): void {
    const invalid = validateChange(edit, this.#contents);
    if (invalid) throw new Error(`local change does not apply to the document: ${invalid}`);
    if (isNoop(edit)) return;
    const change = keepFinalNewline(this.#contents, edit);
    if (this.#inFlight === undefined) this.#confirmed = this.#contents;
    this.#contents = this.#contents.apply(change);
    if (this.#inFlight === undefined) {
      this.#inFlight = { seq: this.#nextSeq++, delta: change, sent: false, edits: 1 };
    } else if (this.#buffer === undefined) {
      this.#buffer = { delta: change, edits: 1 };
    } else {
      this.#setBuffer(this.#buffer.delta.compose(change), this.#buffer.edits + 1);
    }
  }

  /**
   * The op to submit now, if the in-flight op has not been sent on this connection; marks it sent.
   * Call after every `applyLocal`, after an ack, and after reconnecting.
   */
  takeOutgoing(): OutgoingOp | undefined {
    const inFlight = this.#inFlight;
    if (inFlight === undefined || inFlight.sent) return undefined;
    this.#inFlight = { ...inFlight, sent: true };
    return { seq: inFlight.seq, baseVersion: this.#version, delta: inFlight.delta };
  }

  /**
   * [C3] The connection dropped: the server may or may not have the in-flight op. It is offered again
   * by `takeOutgoing` with the same seq (so the server can recognise a duplicate), rebased to the
   * version reached after catching up.
   */
  markDisconnected(): void {
    if (this.#inFlight) this.#inFlight = { ...this.#inFlight, sent: false };
  }

  /**
   * Integrates the next committed op. Ops must come in version order: one already seen is `stale`, and
   * one past `version + 1` throws, because integrating it would silently skip an op; the owner should
   * then catch up from `version`.
   */
  receive(op: IncomingOp): ReceiveResult {
    if (op.version <= this.#version) return { kind: 'stale' };
    if (op.version !== this.#version + 1) {
      throw new Error(`missing ops: expected version ${this.#version + 1}, received version ${op.version}`);
    }
    const inFlight = this.#inFlight;
    if (inFlight !== undefined && op.clientId === this.clientId && op.seq === inFlight.seq) {
      this.#advance(op);
      this.#acknowledge();
      return { kind: 'ack', version: op.version };
    }
    const delta = this.#integrateRemote(op.delta, op.clientId);
    this.#advance(op);
    return { kind: 'remote', version: op.version, delta };
  }

  /** Maps a server position at `version` to the local document (through the in-flight op and buffer). */
  transformPosition(index: number): number {
    return this.transformRange({ index, length: 0 }).index;
  }

  /**
   * [C6] Maps another user's range from server coordinates to the local document. Pass `from` when
   * the range is at an older server version: it is first moved through the ops committed since
   * (`from.clientId` = the range's owner, whose own inserts carry their caret along). Returns
   * undefined when that version is ahead of this client or older than the ops it remembers.
   */
  transformRange(range: Range): Range;
  transformRange(range: Range, from: { version: number; clientId?: string }): Range | undefined;
  transformRange(range: Range, from?: { version: number; clientId?: string }): Range | undefined {
    let result = range;
    if (from !== undefined && from.version !== this.#version) {
      const committed = this.#committedSince(from.version);
      if (committed === undefined) return undefined;
      for (const entry of committed)
        result = transformRange(result, entry.delta, entry.clientId === from.clientId);
    }
    if (this.#inFlight) result = transformRange(result, this.#inFlight.delta);
    if (this.#buffer) result = transformRange(result, this.#buffer.delta);
    return result;
  }

  /**
   * Maps our own local range to server coordinates at `version`, for publishing presence. A caret in
   * text not yet committed maps to where that text goes in; the server moves it along once it commits.
   */
  toServerRange(range: Range): Range {
    let result = range;
    if (this.#buffer) result = untransformRange(result, this.#buffer.delta);
    if (this.#inFlight) result = untransformRange(result, this.#inFlight.delta);
    return result;
  }

  #acknowledge(): void {
    this.#inFlight = undefined;
    const buffer = this.#buffer;
    this.#buffer = undefined;
    if (buffer !== undefined) {
      this.#inFlight = { seq: this.#nextSeq++, delta: buffer.delta, sent: false, edits: buffer.edits };
    }
    if (this.#inFlight === undefined) this.#confirmed = undefined;
  }

  /**
   * The remote op r was committed before our in-flight op p and buffer b. Ties between r and our edits
   * are broken as the server breaks them [C1]: r wins iff `winsTie(r's author, this.clientId)`, so
   * p' = r.transform(p, rWins) is exactly what the server computes when it rebases p, and the editor
   * gets r' = p.transform(r, !rWins); likewise for b against r'.
   */
  #integrateRemote(remote: Delta, author: string): Delta {
    const remoteWins = winsTie(author, this.clientId);
    let incoming = remote;
    let inFlight = this.#inFlight;
    if (inFlight !== undefined) {
      const transformed = inFlight.delta.transform(incoming, !remoteWins);
      inFlight = { ...inFlight, delta: incoming.transform(inFlight.delta, remoteWins) };
      incoming = transformed;
    }
    let buffer = this.#buffer;
    if (buffer !== undefined) {
      const transformed = buffer.delta.transform(incoming, !remoteWins);
      buffer = { ...buffer, delta: incoming.transform(buffer.delta, remoteWins) };
      incoming = transformed;
    }
    // Checked before any state changes: a remote op that does not apply means this copy and the server
    // have diverged, and integrating it would corrupt the document silently.
    const invalid = validateChange(incoming, this.#contents);
    if (invalid) throw new Error(`remote op does not apply to the local document: ${invalid}`);
    this.#contents = this.#contents.apply(incoming);
    this.#inFlight = inFlight;
    if (buffer !== undefined) this.#setBuffer(buffer.delta, buffer.edits);
    return incoming;
  }

  #advance(op: IncomingOp): void {
    this.#version = op.version;
    if (this.#confirmed !== undefined) this.#confirmed = this.#confirmed.apply(op.delta);
    if (this.#historyLimit <= 0) return;
    this.#history.push({ version: op.version, delta: op.delta, clientId: op.clientId });
    if (this.#history.length > this.#historyLimit) this.#history.shift();
  }

  /** A buffer whose edits cancel out carries no intent and is dropped rather than sent. */
  #setBuffer(delta: Delta, edits: number): void {
    this.#buffer = isNoop(delta) ? undefined : { delta, edits };
  }

  /** The remembered ops after `version`, or undefined when they are not all remembered. */
  #committedSince(version: number): readonly CommittedEntry[] | undefined {
    if (version > this.#version || version < 0) return undefined;
    const first = this.#history[0];
    if (first === undefined || first.version > version + 1) return undefined;
    return this.#history.slice(version + 1 - first.version);
  }
}
