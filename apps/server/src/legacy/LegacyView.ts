import {
  ClientDocument,
  Delta,
  DocumentTree,
  diffDocuments,
  isNoop,
  keepFinalNewline,
  type OutgoingOp,
  validateChange,
} from '@collab/ot';
import { type CommittedOp, toQuill1 } from '@collab/protocol';

/*
 * Why a legacy connection needs more than a relay.
 *
 * The seed's client applies its own edits at once, never waits for an acknowledgement, applies every
 * `update-document` exactly as received, and tells the server nothing about what it has seen. Its frames
 * carry no version. So the server keeps, per connection, two pictures of the document:
 *
 * 1. `mirror`, a `ClientDocument` (the same state machine as the tRPC client [C4]) run on the client's
 *    behalf: local ops = the client's changes, submitted one at a time with `baseVersion` = the version its
 *    view corresponds to, so the server rebases them over ops the client had not seen [C1]; remote ops =
 *    everything others commit, transformed over the client's submitted-but-not-yet-committed changes
 *    before they are sent. `mirror.contents` is what the client *should* show.
 *
 * 2. `actual`, what the client *does* show, replayed from what it does. Frames cross on the wire: the
 *    client may make a change before an `update-document` already sent to it arrives. The server learns
 *    the order from WebSocket pings: after each batch of frames it pings (in the same TCP write) with the
 *    number of frames sent so far; the client answers a ping once it has handled the frames before it,
 *    and a connection's messages arrive in order, so a change that arrives before the pong for frame n
 *    was made without frame n. A browser answers pings from its network stack, ahead of the page, and a
 *    busy page handles queued keystrokes before the frames (input goes first): a change may come after
 *    the pongs of frames the page had not handled yet. So pongs are held until the next change, or a
 *    quarter of a second when none comes (`settleAcknowledgement`); a pong that comes meanwhile adds its
 *    frames to the held ones. A change that continues the typing at the caret the client had after some
 *    of the held frames (moved as Quill moves it), and not after all of them, was made before the rest,
 *    and is taken so; those stay held for the next change. When the caret is not known (the first
 *    keystroke after a load, or after a change that was not a keystroke) and the held frames would have
 *    moved it, the keystroke waits (`#undecided`): the next one continues the typing at the caret one
 *    reading leaves and not the other, which places both; without a telling next keystroke soon, it
 *    counts as made after the frames. That keeps each person's keystrokes in the order typed [C11].
 *    (Other misreadings are healed by the save-changes check below.)
 *
 * `path` is the list of changes leading from `actual` to `mirror.contents`: frames sent but not yet
 * acknowledged, and corrections not yet sent. Invariant: `actual` ∘ `path` = `mirror.contents`.
 *
 * - A change from the client applies to `actual`. It is transformed over `path`, which gives it in mirror
 *   coordinates, and each step of `path` is transformed over it: the two-way transform of the classic OT
 *   client. Here `path` always wins ties, whoever wrote it: that is not the tie rule between authors [C1]
 *   (the mirror applies that one) but what the client does, since it applies a frame at the index it was
 *   sent with, so the frame's text lands before text the client inserted there meanwhile.
 * - When a frame is acknowledged, the client has applied it as it was sent. If its step was transformed
 *   meanwhile (a change crossed it), the client now shows something else than intended, and the step is
 *   replaced by a correction (the inverse of the frame, then the intended change), sent as an ordinary
 *   `update-document` once no other frame is in flight (frames that follow wait behind it, composed).
 * - `save-changes` reports the client's whole contents, which must equal `actual`. It is never written:
 *   the op log already has every change, and a full overwrite would erase concurrent work of others (the
 *   seed's "last autosave wins" bug). When a report disagrees with `actual`, it is taken as the truth
 *   about the client and the client is sent the correction to the server's document; the document itself
 *   never changes. (One exception: a report equal to what the client showed just before the frames
 *   acknowledged last is a page that had not yet handled them, and waits for the next report.)
 * - A change refused for the client's own reasons (rate limit) is undone on the client the same way. A
 *   failure that leaves the mirror unusable (a commit refused by the server) reloads the client with a
 *   fresh `db-document`.
 */

interface Step {
  /** In coordinates of the state the steps before it lead to. */
  delta: Delta;
  /** Set once sent: its frame number and the delta as it went on the wire. */
  readonly frame?: number;
  readonly wire?: Delta;
}

export type OutgoingFrame =
  | { readonly kind: 'document'; readonly frame: number; readonly contents: Delta }
  | { readonly kind: 'update'; readonly frame: number; readonly delta: Delta };

export type ChangeOutcome =
  /** Recorded; its commit follows `takeOutgoing`. */
  | { readonly kind: 'applied' }
  /** Made before the client received a reloading `db-document`, which replaces it on the client: dropped. */
  | { readonly kind: 'stale' }
  /** Does not apply to what the client shows: dropped; the next differing save-changes resyncs the client. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** Not accepted (rate limit): a correction that undoes it on the client is on its way. */
  | { readonly kind: 'reverted' }
  /** The mirror refused it: the client must be reloaded. */
  | { readonly kind: 'diverged'; readonly reason: string }
  /** A keystroke held until the next change tells where it was made, or `decide` is called [C11]. */
  | { readonly kind: 'undecided' };

/** A keystroke waiting for its place; `later`: the last pong that arrived after it. */
interface Undecided {
  readonly delta: Delta;
  later?: number;
}

export type ReportOutcome = 'ignored' | 'matches' | 'differs' | 'corrected';

const sameOps = (a: Delta, b: Delta) => JSON.stringify(a.ops) === JSON.stringify(b.ops);

/**
 * [C11] Whether the client shows `actual`, as far as it can: it spells some formats in fewer ways (a code
 * block in any language is just a code block to Quill 1), so a report is compared in its spelling, and a
 * difference it cannot show is never "corrected" again and again.
 */
const showsAsLegacy = (report: Delta, actual: Delta) =>
  JSON.stringify(toQuill1(report.ops)) === JSON.stringify(toQuill1(actual.ops));

/**
 * What Quill's `updateContents` would do with a change that goes past the end of the document: work
 * inside the document and keep its final newline. Close enough for a case that only arises from crossed
 * frames; the next differing save-changes corrects any difference.
 */
export function clampChange(change: Delta, length: number): Delta {
  const clamped = new Delta();
  let index = 0;
  for (const op of change.ops) {
    if (op.insert !== undefined) {
      if (index < length) clamped.push(op);
    } else if (typeof op.retain === 'number') {
      const count = Math.min(op.retain, length - index);
      if (count > 0) clamped.retain(count, op.attributes);
      index += Math.max(count, 0);
    } else if (typeof op.delete === 'number') {
      const count = Math.min(op.delete, length - 1 - index);
      if (count > 0) clamped.delete(count);
      index += Math.max(count, 0);
    }
  }
  return clamped.chop();
}

/** One legacy connection's view of its document: the bookkeeping described above, with no I/O. */
export class LegacyView {
  readonly clientId: string;
  #mirror: ClientDocument | undefined;
  /** A tree, so that replaying the client's changes costs O(change · log n); a new document until loaded. */
  #actual = DocumentTree.fromDelta(new Delta().insert('\n'));
  #path: Step[] = [];
  #outbox: OutgoingFrame[] = [];
  /** Frame numbers: the last one handed out, the last one acknowledged, the last `db-document`. */
  #frames = 0;
  #acked = 0;
  #documentFrame = 0;
  /** Changes that arrive before this frame is acknowledged were made on contents a reload replaced. */
  #reloadFrame = 0;
  #generation = 0;
  /** What the client showed before the frames acknowledged last, while it has made no change since. */
  #beforeAck: DocumentTree | undefined;
  /** Set when the client may show something the server could not replay. */
  #uncertain = false;
  /** A pong not yet taken into account: the next change tells whether it came before the frames. */
  #heldAck: number | undefined;
  /** The client's caret after its last keystroke, in the coordinates of `actual`; undefined when unknown. */
  #caret: number | undefined;
  /**
   * A keystroke right behind a held pong, with the caret unknown (the first one after a load, say), that the
   * held frames would move: whether it was made before them is decided by the next change (`#decide`).
   */
  #undecided: Undecided | undefined;

  constructor(clientId: string) {
    this.clientId = clientId;
  }

  get loaded(): boolean {
    return this.#mirror !== undefined;
  }

  /** Changes on every reload; work started for an older generation is void. */
  get generation(): number {
    return this.#generation;
  }

  /** The last committed version the mirror integrated. */
  get version(): number {
    return this.#mirror?.version ?? 0;
  }

  /** The client's changes not yet committed. */
  get pendingEdits(): number {
    return this.#mirror?.pendingCount ?? 0;
  }

  get framesSent(): number {
    return this.#frames;
  }

  /** What the client should show (the server's document plus the client's pending changes). */
  get intended(): Delta {
    return this.#mirror?.contents ?? new Delta();
  }

  /** What the client shows, as far as the server can tell. */
  get actual(): Delta {
    return this.#actual.toDelta();
  }

  /** (Re)loads the client with the document at `version`: queues a `db-document` frame. */
  reset(version: number, contents: Delta): void {
    this.decide();
    this.#settle();
    this.#caret = undefined;
    const reload = this.#mirror !== undefined;
    this.#mirror = new ClientDocument({
      clientId: this.clientId,
      version,
      contents,
      nextSeq: this.#mirror?.nextSeq ?? 0,
      historyLimit: 0,
    });
    this.#actual = DocumentTree.fromDelta(contents);
    this.#path = [];
    this.#documentFrame = ++this.#frames;
    // On a first load the client had nothing to edit, so whatever it sends next was made on `contents`.
    if (reload) this.#reloadFrame = this.#documentFrame;
    this.#outbox.push({ kind: 'document', frame: this.#documentFrame, contents });
    this.#generation++;
    this.#beforeAck = undefined;
    this.#uncertain = false;
  }

  /**
   * A `changes-received` delta. `accepted` false: refused for the connection's own reasons, so undone.
   */
  change(delta: Delta, accepted = true): ChangeOutcome {
    const undecided = this.#undecided;
    if (undecided) {
      const first = this.#decide(undecided, typingIndex(delta));
      const next = this.change(delta, accepted);
      return first.kind === 'diverged' ? first : next;
    }
    const at = typingIndex(delta);
    // Only a keystroke that the held frames would move may have been made before them.
    const movable = at !== undefined && this.#acked >= this.#reloadFrame && this.#movedByHeld(at) !== at;
    if (movable && this.#caret === undefined && accepted && this.#fitsEitherSide(delta)) {
      this.#undecided = { delta };
      return { kind: 'undecided' };
    }
    // Typed at the caret the held frames, or the first of them, would have moved: made before those.
    return this.#applyAroundHeld(delta, accepted, movable ? this.#handledFrames(at) : this.#heldFrames());
  }

  /** Decides an undecided keystroke without a next change: as made after the held frames. */
  decide(): ChangeOutcome | undefined {
    const undecided = this.#undecided;
    return undecided && this.#decide(undecided, undefined);
  }

  /**
   * [C11] Places the undecided keystroke before or after the held frames: the next keystroke continues the
   * typing at the caret one of the two readings leaves (with the frames acknowledged since applied or not),
   * and when it tells nothing, the keystroke counts as made after them.
   */
  #decide(undecided: Undecided, nextAt: number | undefined): ChangeOutcome {
    this.#undecided = undefined;
    const caret = caretAfter(undecided.delta) as number;
    const later = (position: number) => [
      position,
      this.#movedBy(position, this.#heldAck ?? 0, undecided.later ?? 0),
    ];
    const before = later(this.#movedByHeld(caret));
    const after = later(caret);
    const madeBefore = nextAt !== undefined && before.includes(nextAt) && !after.includes(nextAt);
    const outcome = this.#applyAroundHeld(
      undecided.delta,
      true,
      madeBefore ? this.#acked : this.#heldFrames(),
    );
    if (undecided.later !== undefined) this.acknowledge(undecided.later);
    return outcome;
  }

  /**
   * Applies a change the page made once it had handled the frames up to `handled`: those count first; the
   * held frames after them stay held, since the page may make its next change before them too.
   */
  #applyAroundHeld(delta: Delta, accepted: boolean, handled: number): ChangeOutcome {
    this.#settle(handled);
    return this.#change(delta, accepted);
  }

  /** The last frame a pong acknowledged, held or not. */
  #heldFrames(): number {
    return this.#heldAck ?? this.#acked;
  }

  /**
   * [C11] How far a busy page had got through the held frames when it typed at `at`: the last held frame
   * after which its caret (moved as Quill moves it) was at `at`; all of them when no reading puts it there.
   */
  #handledFrames(at: number | undefined): number {
    const held = this.#heldFrames();
    if (at === undefined || this.#caret === undefined) return held;
    let caret = this.#caret;
    let handled = caret === at ? this.#acked : undefined;
    for (const step of this.#path) {
      if (step.frame === undefined || step.wire === undefined) continue;
      if (step.frame > held) break;
      caret = step.wire.transformPosition(caret, true);
      if (caret === at) handled = step.frame;
    }
    return handled ?? held;
  }

  #change(delta: Delta, accepted: boolean): ChangeOutcome {
    const mirror = this.#mirror;
    if (!mirror || this.#acked < this.#reloadFrame) return { kind: 'stale' };
    let problem = validateChange(delta, this.#actual);
    if (problem) {
      this.#uncertain = true;
      // Typing that reaches past the end of contents the server misread, once frames have crossed: kept,
      // inside the document [C11]. Anything else that does not fit is refused.
      const typed = this.#acked > this.#documentFrame && delta.ops.every((op) => op.delete === undefined);
      const kept = keepInside(delta, this.#actual.length());
      if (!typed || validateChange(kept, this.#actual) !== undefined)
        return { kind: 'invalid', reason: problem };
      delta = kept;
      problem = undefined;
    }
    if (isNoop(delta)) return { kind: 'applied' };
    this.#beforeAck = undefined;
    const before = this.#actual;
    this.#actual = before.apply(delta);
    this.#caret = accepted ? caretAfter(delta) : undefined;
    if (!accepted) {
      this.#prependCorrection(delta.invert(before.toDelta()));
      return { kind: 'reverted' };
    }
    let incoming = keepFinalNewline(before, delta);
    for (const step of this.#path) {
      const next = step.delta.transform(incoming, true);
      step.delta = incoming.transform(step.delta, false);
      incoming = next;
    }
    try {
      mirror.applyLocal(incoming);
    } catch (error) {
      return { kind: 'diverged', reason: (error as Error).message };
    }
    return { kind: 'applied' };
  }

  /** The change frame that could not be read at all: what the client shows is no longer known. */
  markUncertain(): void {
    this.#uncertain = true;
  }

  /**
   * The next committed ops, in version order from `version + 1`. Others' ops become one `update-document`
   * (transformed over the client's pending changes); the client's own are acknowledgements.
   * Returns false when they do not fit the mirror (the client must be reloaded).
   */
  committed(ops: readonly CommittedOp[]): boolean {
    const mirror = this.#mirror;
    if (!mirror) return true;
    let remote: Delta | undefined;
    try {
      for (const op of ops) {
        const result = mirror.receive({ ...op, delta: new Delta(op.delta.ops) });
        if (result.kind === 'remote') remote = remote ? remote.compose(result.delta) : result.delta;
      }
    } catch {
      return false;
    }
    if (remote && !isNoop(remote)) this.#emit(remote);
    return true;
  }

  /**
   * The client answered a ping sent after frame `frame`: its network stack has every frame up to it, and
   * the page applies them before any change that comes later, except the one it may be handling now.
   */
  acknowledge(frame: number): void {
    if (!this.#mirror || !Number.isSafeInteger(frame) || frame <= this.#acked || frame > this.#frames) return;
    if (this.#heldAck !== undefined && frame <= this.#heldAck) return;
    if (this.#undecided) {
      // The undecided keystroke came before these frames; they count once it is placed.
      this.#undecided.later = Math.max(frame, this.#undecided.later ?? 0);
      return;
    }
    // Frames a pong held before stay held with these: a busy page may not have handled any of them yet.
    this.#heldAck = frame;
  }

  /**
   * No change came for a while after the pong for `frame`: the held frames up to it count now (all held
   * frames when not given), unless a keystroke waits on them. Each pong's frames are held for a bounded
   * time, however many pongs follow: a tab that never types holds nothing for long.
   */
  settleAcknowledgement(frame?: number): void {
    if (this.#undecided) return;
    this.#settle(frame === undefined ? this.#heldAck : Math.min(frame, this.#heldFrames()));
  }

  /**
   * Takes the held frames up to `frame` into account (all of them by default): no change came right after
   * their pong, or the page had handled them when it made the one that did.
   */
  #settle(frame = this.#heldAck): void {
    if (frame === undefined || frame <= this.#acked) return;
    if (frame >= (this.#heldAck ?? 0)) this.#heldAck = undefined;
    this.#acked = frame;
    const before = this.#actual;
    for (;;) {
      const index = this.#path.findIndex((step) => step.frame !== undefined);
      const step = this.#path[index];
      if (step?.frame === undefined || step.wire === undefined || step.frame > frame) break;
      const wire = this.#applicable(step.wire);
      if (this.#caret !== undefined) this.#caret = wire.transformPosition(this.#caret, true);
      if (index === 0 && sameOps(step.delta, wire)) {
        this.#actual = this.#actual.apply(wire);
        this.#path.shift();
        continue;
      }
      // The client applied the frame as sent, not as intended: correct from what it now shows.
      let intended = (this.#path[0] as Step).delta;
      for (let i = 1; i <= index; i++) intended = intended.compose((this.#path[i] as Step).delta);
      const correction = wire.invert(this.#actual.toDelta()).compose(intended);
      this.#actual = this.#actual.apply(wire);
      this.#path.splice(0, index + 1, ...(isNoop(correction) ? [] : [{ delta: correction }]));
    }
    if (this.#actual !== before) this.#beforeAck = before;
  }

  /** A `save-changes` report of the client's whole contents (see the comment at the top). */
  report(contents: Delta): ReportOutcome {
    this.decide();
    // Made before the page applied the frames of a held pong: the pong stays held for the next change.
    if (
      this.#heldAck !== undefined &&
      this.#acked >= this.#documentFrame &&
      showsAsLegacy(contents, this.#actual.toDelta())
    ) {
      return 'matches';
    }
    this.#settle();
    if (!this.#mirror || this.#acked < this.#documentFrame) return 'ignored';
    if (showsAsLegacy(contents, this.#actual.toDelta())) {
      this.#uncertain = false;
      return 'matches';
    }
    // A browser answers a ping before the page has handled the frames ahead of it: a report made in that
    // moment shows the contents before them. The next report tells.
    const lagging = this.#beforeAck !== undefined && sameOps(contents, this.#beforeAck.toDelta());
    this.#beforeAck = undefined;
    if (lagging && !this.#uncertain) return 'differs';
    const actual = this.#actual.toDelta();
    this.#prependCorrection(diffDocuments(contents, actual));
    if (this.#caret !== undefined)
      this.#caret = diffDocuments(actual, contents).transformPosition(this.#caret);
    this.#actual = DocumentTree.fromDelta(contents);
    this.#uncertain = false;
    return 'corrected';
  }

  /** Frames to send now, in order; each batch is to be followed by a ping carrying `framesSent`. */
  takeFrames(): OutgoingFrame[] {
    // Corrections go only now, once everything that arrived has been applied: one made before a change
    // that arrived with it would reach the client after that change, in the wrong coordinates.
    this.#flush();
    const frames = this.#outbox;
    this.#outbox = [];
    return frames;
  }

  /** The client's next change to submit, if one is due. */
  takeOutgoing(): OutgoingOp | undefined {
    return this.#mirror?.takeOutgoing();
  }

  /** [C8] The submitted op failed for a passing reason: `takeOutgoing` offers it again, same seq, rebased. */
  resend(): void {
    this.#mirror?.markDisconnected();
  }

  /** Where the held frames, as the client applies them, move a caret at `position`. */
  #movedByHeld(position: number): number {
    return this.#movedBy(position, 0, this.#heldAck ?? 0);
  }

  /**
   * Where the frames sent after frame `from` up to frame `to` move a caret at `position` (Quill moves it
   * over text inserted before it, not over text inserted at it).
   */
  #movedBy(position: number, from: number, to: number): number {
    let moved = position;
    for (const step of this.#path) {
      if (step.frame === undefined || step.wire === undefined || step.frame <= from) continue;
      if (step.frame > to) break;
      moved = step.wire.transformPosition(moved, true);
    }
    return moved;
  }

  /** Whether a change applies to what the client shows both without and with the held frames. */
  #fitsEitherSide(delta: Delta): boolean {
    if (validateChange(delta, this.#actual) !== undefined) return false;
    let after = this.#actual;
    for (const step of this.#path) {
      if (step.frame === undefined || step.wire === undefined) continue;
      if (step.frame > (this.#heldAck ?? 0)) break;
      if (validateChange(step.wire, after) !== undefined) return false;
      after = after.apply(step.wire);
    }
    return validateChange(delta, after) === undefined;
  }

  /** A frame as the client will apply it: as sent when it fits, else clamped as Quill would. */
  #applicable(wire: Delta): Delta {
    if (validateChange(wire, this.#actual) === undefined) return wire;
    this.#uncertain = true;
    return clampChange(wire, this.#actual.length());
  }

  #emit(delta: Delta): void {
    if (this.#path.some((step) => step.frame === undefined)) {
      // A correction waits for the frames in flight; what follows it waits too, to keep the order.
      this.#path.push({ delta });
      return;
    }
    this.#send(delta);
  }

  #send(delta: Delta): void {
    const frame = ++this.#frames;
    this.#path.push({ delta, frame, wire: delta });
    this.#outbox.push({ kind: 'update', frame, delta });
  }

  #prependCorrection(delta: Delta): void {
    const head = this.#path[0];
    if (head && head.frame === undefined) head.delta = delta.compose(head.delta);
    else this.#path.unshift({ delta });
  }

  /** Sends what waits (corrections and the changes behind them) as one frame once nothing is in flight. */
  #flush(): void {
    if (this.#path.length === 0 || this.#path.some((step) => step.frame !== undefined)) return;
    let pending = (this.#path[0] as Step).delta;
    for (const step of this.#path.slice(1)) pending = pending.compose(step.delta);
    this.#path = [];
    if (!isNoop(pending)) this.#send(pending);
  }
}

/** A change that reaches past the end of a document of `length`, moved inside it; its text is all kept. */
function keepInside(change: Delta, length: number): Delta {
  const kept = new Delta();
  let index = 0;
  for (const op of change.ops) {
    if (op.insert !== undefined) {
      kept.push(op);
      continue;
    }
    const count = Math.min(typeof op.retain === 'number' ? op.retain : (op.delete ?? 0), length - 1 - index);
    if (count <= 0) continue;
    if (op.delete !== undefined) kept.delete(count);
    else kept.retain(count, op.attributes);
    index += count;
  }
  return kept.chop();
}

/** Where a keystroke (text typed or deleted at one place) happened; undefined for any other change. */
function typingIndex(delta: Delta): number | undefined {
  const [first, second, third] = delta.ops;
  if (first === undefined || third !== undefined) return undefined;
  const edit = typeof first.retain === 'number' ? second : first;
  if (edit === undefined || (edit === second && first.attributes !== undefined)) return undefined;
  if (edit.retain !== undefined) return undefined;
  return typeof first.retain === 'number' && edit === second ? first.retain : 0;
}

/** The client's caret after a keystroke: after the text it typed, or where it deleted. */
function caretAfter(delta: Delta): number | undefined {
  const at = typingIndex(delta);
  if (at === undefined) return undefined;
  const edit = delta.ops.at(-1);
  if (typeof edit?.insert === 'string') return at + edit.insert.length;
  return edit?.insert !== undefined ? at + 1 : at;
}
