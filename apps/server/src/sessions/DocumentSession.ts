import {
  Delta,
  DocumentTree,
  diffDocuments,
  isNoop,
  keepFinalNewline,
  rebase,
  renderableFix,
  validateChange,
  validateChangeBounds,
} from '@collab/ot';
import { authorIdOf, type CommittedOp, deltaContentProblem, type Limits, type Op } from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Effect from 'effect/Effect';
import type * as Fiber from 'effect/Fiber';
import * as Semaphore from 'effect/Semaphore';
import {
  InvalidOperation,
  LimitExceeded,
  Unavailable,
  VersionAhead,
  VersionTooOld,
} from '../domain/errors.js';
import { log } from '../log.js';
import type {
  CommittedOpId,
  DocumentStore,
  Snapshot,
  StorageFailure,
  StoredOp,
} from '../storage/DocumentStore.js';
import { ChangeFeed } from './ChangeFeed.js';
import { contentHash } from './contentHash.js';

export interface SessionSettings {
  readonly recentOpsWindow: number;
  /** Most op steps one rebase may take [L1]. */
  readonly maxRebaseSteps: number;
  readonly snapshotEveryOps: number;
  readonly snapshotIntervalMs: number;
  readonly historySnapshotEveryOps: number;
  readonly limits: Limits;
}

/** What a session needs from outside; all effects here have no requirements left. */
export interface SessionDeps {
  readonly store: DocumentStore['Service'];
  readonly settings: SessionSettings;
  /** Called after an op committed here is durable, to tell other instances [S4]. */
  readonly publish: (docId: string, op: CommittedOp) => void;
  /** Runs background work (snapshots and their timer) as a fiber of the app, interrupted when it shuts down. */
  readonly fork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>;
}

/** An op to commit: `delta` was made on version `baseVersion` by `(clientId, seq)` [C1] [C3]. */
export interface CommitRequest {
  readonly clientId: string;
  readonly seq: number;
  readonly baseVersion: number;
  readonly delta: Delta;
}

/**
 * [L1] A change with more ops than this (a large paste) lets the event loop answer other requests between
 * the steps of its commit: each step costs tens of milliseconds at most, the whole a few hundred.
 */
const yieldAboveOps = 1_000;

/** Yields to the event loop when `change` is large [L1]. */
const pauseFor = (change: Delta): Effect.Effect<void> =>
  change.ops.length > yieldAboveOps ? Effect.yieldNow : Effect.void;

/**
 * [P1] The pause after a flush before the next one, by the number of followers: a frame costs a system
 * call per follower, so a busy document with many followers sends each at most one frame per pause
 * (1,000 followers: 10 ms), with every op committed meanwhile; a few followers are sent each turn's ops
 * at once.
 */
export function flushSpacingMs(followers: number): number {
  return Math.min(20, Math.floor(followers / 100));
}

/** [S2] Bytes of a document's JSON per op it waits for between snapshots, at least. */
const snapshotBytesPerOp = 1024;

/** Listener told of every op that becomes part of the document, in version order. */
export type CommitListener = (op: CommittedOp) => void;

/**
 * Bounded retries when another instance keeps winning the race for the next version [S1]: the second attempt
 * follows at once, later ones after 8, 16, 32, 64, then 100 ms (±50%), about half a second in all before the
 * client is told to try again.
 */
const maxCommitAttempts = 10;
/** [C12] Attempts at committing the fix of a line while other instances keep taking its version. */
const maxFixAttempts = 3;
const backoffMs = (attempt: number) => Math.min(100, 2 ** (attempt + 1)) * (0.5 + Math.random());

const opId = (clientId: string, seq: number) => `${clientId}/${seq}`;

/** Most ops one change event carries while a follower catches up (tRPC stream or legacy socket). */
export const changesPageSize = 500;

/** An attempt lost the race for its version to another instance. */
const lostRace = Symbol('lostRace');

/**
 * [C3] The answer to an op whose `(clientId, seq)` was committed before: its original version when it is the
 * same op (or its hash is unknown), else a refusal, since one id never names two different ops.
 */
function resubmitted(request: CommitRequest, hash: string, committed: CommittedOpId) {
  if (committed.hash === undefined || committed.hash === hash) return Effect.succeed(committed.version);
  return Effect.fail(
    new InvalidOperation({
      message: `seq ${request.seq} of this client was already used for a different change (version ${committed.version})`,
    }),
  );
}

export function toCommittedOp(op: StoredOp): CommittedOp {
  return { version: op.version, delta: { ops: [...op.ops] as Op[] }, clientId: op.clientId, seq: op.seq };
}

/**
 * One open document: its contents at the head version, the most recent committed ops, and the queue that
 * serialises its commits [S1]. Subscribers are woken once per event-loop turn with everything committed
 * in that turn [P1].
 */
export class DocumentSession {
  readonly id: string;
  /** The document at `head`, as a tree so that a commit costs O(op · log n) whatever its size. */
  private contents: DocumentTree;
  private head: number;
  /** The newest version announced to subscribers; trails `head` until the end of the current turn. */
  private visible: number;
  /** Contiguous committed ops ending at `head`, at most `recentOpsWindow` of them. */
  private readonly recent: CommittedOp[] = [];
  /** `clientId/seq` → version and hash of every op in `recent`, to recognise a resubmitted op in O(1) [C3]. */
  private readonly recentIds = new Map<string, CommittedOpId>();
  private readonly lock = Semaphore.makeUnsafe(1);
  private readonly waiters = new Set<() => void>();
  private readonly commitListeners = new Set<CommitListener>();
  /** [P1] The subscribers that have every visible op: sent each flush's event, serialised once. */
  readonly feed: ChangeFeed;
  private flushScheduled = false;
  /** Set for `flushSpacingMs` after a flush to many followers [P1]. */
  private coolingDown = false;
  private snapshotVersion: number;
  /** Sleeps on the app's `Clock` until the next snapshot is due. */
  private snapshotTimer: Fiber.Fiber<void> | undefined;
  private snapshotting = false;
  /** The last snapshot write failed [S2]. */
  private snapshotFailed = false;
  private disposed = false;
  /** Subscriptions and requests using the session; at 0 it may be unloaded [S3]. */
  users = 0;
  /** Streams (subscriptions, legacy sockets) following this document [L3]. */
  streams = 0;

  /**
   * `ops`: the committed ops after the snapshot, preceded by as many before it as the recent window holds,
   * so that a client a little behind can still be rebased right after a load [L1].
   */
  constructor(
    private readonly deps: SessionDeps,
    snapshot: Snapshot,
    ops: readonly StoredOp[],
  ) {
    this.id = snapshot.docId;
    this.feed = new ChangeFeed(this.id, changesPageSize);
    let contents = DocumentTree.fromDelta(new Delta([...snapshot.ops] as Op[]));
    for (const op of ops) {
      if (op.version > snapshot.version) contents = contents.apply(new Delta([...op.ops] as Op[]));
    }
    this.contents = contents;
    this.snapshotVersion = snapshot.version;
    this.head = Math.max(snapshot.version, ops.at(-1)?.version ?? 0);
    this.visible = this.head;
    // Only a contiguous run ending at the head can be rebased over.
    let start = ops.length;
    while (start > 0 && ops[start - 1]?.version === this.head - (ops.length - start)) start--;
    const window = ops.slice(Math.max(start, ops.length - deps.settings.recentOpsWindow));
    for (const op of window) this.remember(toCommittedOp(op), op.hash);
    if (this.head > this.snapshotVersion) this.scheduleSnapshot();
  }

  get version(): number {
    return this.head;
  }

  /** The document at the head version (serialised once per version, when first asked for). */
  get document(): Delta {
    return this.contents.toDelta();
  }

  /** Reports each op that becomes part of the document (local or from another instance). */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Commits an op made on `baseVersion`, transformed over what was committed since [C1]. */
  submit(request: CommitRequest) {
    return this.commitWithRetry(() => request);
  }

  /**
   * Replaces the whole contents, committed as one op (the diff) so live editors see it. Contents equal to
   * the document's commit nothing, so a periodic full-content save does not grow the op log.
   */
  replace(next: Delta, clientId: string) {
    return this.commitWithRetry(() => {
      const change = diffDocuments(this.contents.toDelta(), next);
      if (isNoop(change)) return this.head;
      return { clientId, seq: 0, baseVersion: this.head, delta: change };
    });
  }

  /**
   * [S1] One attempt at a time holds the document's lock; when another instance won the race for the
   * version, the pause before the next attempt is taken outside the lock so local submits go on meanwhile.
   * The first retry is immediate (the winner is usually done); later ones back off with jitter.
   * `prepare` runs under the lock: a request, or the version to answer without committing.
   */
  private commitWithRetry(prepare: () => CommitRequest | number) {
    const self = this;
    return Effect.gen(function* () {
      for (let attempt = 1; ; attempt++) {
        const outcome = yield* self.lock.withPermit(
          Effect.suspend(() => {
            const request = prepare();
            return typeof request === 'number' ? Effect.succeed(request) : self.attemptCommit(request);
          }),
        );
        if (outcome !== lostRace) return outcome;
        if (attempt >= maxCommitAttempts) {
          return yield* new Unavailable({ message: 'The document is too busy right now; try again' });
        }
        if (attempt > 1) yield* Effect.sleep(backoffMs(attempt));
      }
    });
  }

  /** One commit attempt under the lock: the committed version, or `lostRace` after catching up. */
  private attemptCommit(request: CommitRequest) {
    const self = this;
    return Effect.gen(function* () {
      // [S4] the client may have seen this version on another instance before its message reached us.
      if (request.baseVersion > self.head) yield* self.catchUpLocked();
      if (request.baseVersion > self.head) {
        return yield* new VersionAhead({
          message: `baseVersion ${request.baseVersion} is ahead of the document's version ${self.head}`,
        });
      }
      // [L1] parsing the request took the turn so far.
      yield* pauseFor(request.delta);
      // [C3] an op already committed (its ack was lost) answers with its original version.
      const hash = contentHash(request.delta);
      const known = self.recentIds.get(opId(request.clientId, request.seq));
      if (known !== undefined && known.hash !== undefined) return yield* resubmitted(request, hash, known);
      // [L1] rebase only over the ops kept in memory: never read and transform history for one request.
      // An op that old may have been committed long ago, though: the store answers that [C3].
      if (!self.keeps(request.baseVersion)) {
        const committed = yield* self.deps.store.findOp(self.id, request.clientId, request.seq);
        if (committed !== undefined) return yield* resubmitted(request, hash, committed);
        return yield* new VersionTooOld({
          message: `baseVersion ${request.baseVersion} is older than the ${self.deps.settings.recentOpsWindow} recent versions the server keeps (head ${self.head}); catch up and send again`,
        });
      }
      yield* self.checkInsertSize(request.delta);
      const since = yield* self.opsBetween(request.baseVersion, self.head);
      if (
        known !== undefined ||
        since.some((op) => op.clientId === request.clientId && op.seq === request.seq)
      ) {
        return yield* self.answerCommitted(request, hash);
      }

      // [L1] the cost of rebasing grows with the change's ops times the ops committed since: bounded.
      let steps = 0;
      for (const op of since) steps += request.delta.ops.length + op.delta.ops.length;
      if (steps > self.deps.settings.maxRebaseSteps) {
        return yield* new VersionTooOld({
          message: `The change is too large to rebase over the ${since.length} ops committed since version ${request.baseVersion}; catch up and send it again`,
        });
      }
      const committedSince = since.map((op) => ({ delta: new Delta(op.delta.ops), clientId: op.clientId }));
      // Checked on the version it was made on first, so the error names the client's own positions.
      const lengthAtBase = committedSince.reduce(
        (length, op) => length - op.delta.changeLength(),
        self.contents.length(),
      );
      // A resubmit from before ops it no longer fits may be one committed long ago: the store knows [C3].
      const invalid =
        validateChangeBounds(request.delta, lengthAtBase) ?? deltaContentProblem(request.delta.ops);
      if (invalid) return yield* self.answerCommitted(request, hash, `Invalid operation: ${invalid}`);
      yield* pauseFor(request.delta);
      const rebased = rebase(request.delta, committedSince, request.clientId);
      const problem = validateChange(rebased, self.contents);
      if (problem) return yield* self.answerCommitted(request, hash, `Invalid operation: ${problem}`);
      // [C9] committed ops never move the final "\n", so clients transform their edits over them safely.
      const change = keepFinalNewline(self.contents, rebased);
      const next = self.contents.apply(change);
      yield* self.checkSize(change, next);
      yield* pauseFor(change);

      const version = self.head + 1;
      const createdAt = yield* Clock.currentTimeMillis;
      const stored: StoredOp = {
        docId: self.id,
        version,
        ops: change.ops as Op[],
        clientId: request.clientId,
        seq: request.seq,
        hash,
        createdAt,
      };
      const outcome = yield* Effect.result(self.deps.store.appendOp(stored));
      if (outcome._tag === 'Success') {
        const op = toCommittedOp(stored);
        self.integrate(op, next, hash);
        self.deps.publish(self.id, op);
        yield* self.commitRenderable(change, request.clientId);
        return version;
      }
      const failure = outcome.failure;
      if (failure._tag === 'OpIdTaken') {
        return yield* resubmitted(request, hash, { version: failure.version, hash: failure.hash });
      }
      if (failure._tag !== 'VersionTaken') return yield* failure;
      // Another instance committed this version first: learn what it wrote before the next attempt.
      yield* self.catchUpLocked();
      return lostRace;
    });
  }

  /**
   * [C12] When the op just committed left a line the editor cannot show as it is stored (two people set a
   * heading and a list at once, or bold text that was in a code block meanwhile), commits the change that
   * resolves it as the next version, in the name of the same author: every editor and every later load
   * then shows the same line. When another instance takes that version first, the fix is worked out again
   * on what it wrote (which may have resolved the line already), a few times at most. Editors show such a
   * line resolved the same way as soon as it arrives, so a fix that cannot be stored is only logged: the
   * line is resolved when it is next edited.
   */
  private commitRenderable(change: Delta, clientId: string) {
    const self = this;
    return Effect.gen(function* () {
      // [L1] Finding the lines a large change touched walks each of them.
      yield* pauseFor(change);
      let touched = change;
      for (let attempt = 1; attempt <= maxFixAttempts; attempt++) {
        const fix = renderableFix(self.contents, touched);
        if (fix === undefined) return;
        const version = self.head + 1;
        const stored: StoredOp = {
          docId: self.id,
          version,
          ops: fix.ops as Op[],
          clientId: `${authorIdOf(clientId)}.line-fix`,
          seq: version,
          hash: contentHash(fix),
          createdAt: yield* Clock.currentTimeMillis,
        };
        const outcome = yield* Effect.result(self.deps.store.appendOp(stored));
        if (outcome._tag === 'Success') {
          const op = toCommittedOp(stored);
          self.integrate(op, self.contents.apply(fix), stored.hash);
          self.deps.publish(self.id, op);
          return;
        }
        const failure = outcome.failure;
        const caughtUp =
          failure._tag === 'VersionTaken' && (yield* Effect.result(self.catchUpLocked()))._tag === 'Success';
        if (!caughtUp || attempt === maxFixAttempts) {
          log.warn('could not store the fix of a line', { docId: self.id, version, attempt, error: failure });
          return;
        }
        // The lines the change touched, where they are now (the window keeps the ops since, unless it is tiny).
        const since = self.recent.filter((committed) => committed.version >= version);
        if (since[0]?.version !== version) return;
        for (const op of since) touched = new Delta(op.delta.ops).transform(touched, true);
      }
    });
  }

  /**
   * Whether the ops after `version` are all kept in memory, so that rebasing from it or moving a cursor
   * from it costs at most the recent window [L1].
   */
  keeps(version: number): boolean {
    if (version >= this.head) return true;
    const first = this.recent[0];
    return first !== undefined && first.version <= version + 1;
  }

  /** [L1] A change inserting more than a whole document may hold is refused before any transform. */
  private checkInsertSize(change: Delta) {
    const max = this.deps.settings.limits.maxDocumentBytes;
    let bytes = 0;
    for (const op of change.ops) if (typeof op.insert === 'string') bytes += op.insert.length;
    if (bytes <= max) return Effect.void;
    return Effect.fail(
      new LimitExceeded({
        message: `The change inserts ${bytes} characters, over the limit of ${max} bytes`,
      }),
    );
  }

  /**
   * [C3] Asks the store whether `(clientId, seq)` was committed, of any age: the answer for a resubmit.
   * When it never was, the op is refused with `refusal` (or goes on to be committed when there is none).
   */
  private answerCommitted(request: CommitRequest, hash: string, refusal?: string) {
    return this.deps.store.findOp(this.id, request.clientId, request.seq).pipe(
      Effect.flatMap((committed) => {
        if (committed !== undefined) return resubmitted(request, hash, committed);
        return Effect.fail(new InvalidOperation({ message: refusal ?? 'Invalid operation' }));
      }),
    );
  }

  private checkSize(change: Delta, next: DocumentTree) {
    const grows = change.ops.some((op) => op.insert !== undefined || op.attributes !== undefined);
    if (!grows) return Effect.void;
    const max = this.deps.settings.limits.maxDocumentBytes;
    // The tree keeps the size of the document's JSON up to date: nothing is serialised to measure it.
    const bytes = next.jsonBytes();
    if (bytes <= max) return Effect.void;
    return Effect.fail(
      new LimitExceeded({ message: `The document would be ${bytes} bytes, over the limit of ${max} bytes` }),
    );
  }

  /** Reads committed ops from storage past the head and applies them (another instance wrote them). */
  private catchUpLocked(): Effect.Effect<void, StorageFailure> {
    const self = this;
    return Effect.gen(function* () {
      const missed = yield* self.deps.store.readOps(self.id, self.head);
      for (const stored of missed) {
        if (stored.version !== self.head + 1) break;
        const op = toCommittedOp(stored);
        self.integrate(op, self.contents.apply(new Delta(op.delta.ops)), stored.hash);
      }
    });
  }

  /**
   * Whether the session has `version`, reading storage first when it is ahead: a client moving from another
   * instance may have seen versions this copy has not heard of yet [S4].
   */
  reach(version: number): Effect.Effect<boolean, StorageFailure> {
    if (version <= this.head) return Effect.succeed(true);
    return this.catchUp().pipe(Effect.map(() => version <= this.head));
  }

  /** Brings the session up to date with storage: after a gap or a lost message from another instance [S4]. */
  catchUp(): Effect.Effect<void, StorageFailure> {
    return this.lock.withPermit(this.catchUpLocked());
  }

  /** An op another instance announced: applied when it is the next version, else fetched from storage. */
  receiveRemote(op: CommittedOp): Effect.Effect<void, StorageFailure> {
    return this.lock.withPermit(
      Effect.suspend(() => {
        if (op.version <= this.head) return Effect.void;
        if (op.version > this.head + 1) return this.catchUpLocked();
        const change = new Delta(op.delta.ops);
        // Redis is not trusted with content either: an op that does not apply is read from storage instead.
        if (validateChange(change, this.contents)) return this.catchUpLocked();
        this.integrate(op, this.contents.apply(change));
        return Effect.void;
      }),
    );
  }

  /** `hash`: the op's content hash when known (ops heard of from another instance come without it). */
  private integrate(op: CommittedOp, next: DocumentTree, hash?: string): void {
    this.contents = next;
    this.head = op.version;
    this.remember(op, hash);
    for (const listener of this.commitListeners) listener(op);
    this.scheduleFlush();
    this.scheduleSnapshot();
  }

  private remember(op: CommittedOp, hash: string | undefined): void {
    this.recent.push(op);
    this.recentIds.set(opId(op.clientId, op.seq), { version: op.version, hash });
    if (this.recent.length > this.deps.settings.recentOpsWindow) {
      const dropped = this.recent.shift();
      if (dropped) this.recentIds.delete(opId(dropped.clientId, dropped.seq));
    }
  }

  /**
   * [P1] subscribers are woken once per event-loop turn, after every submit of that turn is applied: the
   * feed's followers are sent the turn's ops, the others (catching up, legacy sockets) woken to read them.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // While cooling down after a flush to many followers, the end of the pause flushes.
    if (!this.coolingDown) setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.disposed) return;
    const from = this.visible;
    this.visible = this.head;
    this.feed.deliver(from, this.visible, this.recent);
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
    const pause = flushSpacingMs(this.feed.size);
    if (pause === 0) return;
    this.coolingDown = true;
    this.deps.fork(
      Effect.sleep(pause).pipe(
        Effect.andThen(
          Effect.sync(() => {
            this.coolingDown = false;
            if (this.flushScheduled) this.flush();
          }),
        ),
      ),
    );
  }

  /** The newest version subscribers may see. */
  get visibleVersion(): number {
    return this.visible;
  }

  /** Resolves when a version after `version` is visible, or when `signal` aborts. */
  waitForChangeAfter(version: number, signal: AbortSignal): Promise<void> {
    if (this.visible > version || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener('abort', wake);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /**
   * Committed ops with `after < version <= to`, oldest first, at most `limit`: from memory when the recent
   * window covers them, else from storage, so catch-up reads only what a client missed [P2].
   */
  opsBetween(
    after: number,
    to: number,
    limit = Number.POSITIVE_INFINITY,
  ): Effect.Effect<CommittedOp[], StorageFailure> {
    if (after >= to) return Effect.succeed([]);
    const first = this.recent[0];
    if (first && first.version <= after + 1) {
      const start = after + 1 - first.version;
      const end = Math.min(to - first.version + 1, start + limit);
      return Effect.succeed(this.recent.slice(start, end));
    }
    const count = Number.isFinite(limit) ? limit : undefined;
    return this.deps.store
      .readOps(this.id, after, to, count)
      .pipe(Effect.map((ops) => ops.map(toCommittedOp)));
  }

  /**
   * [S2] snapshots every N ops or T ms after the first op not in one, never on every keystroke. A snapshot
   * costs the document's size, so a large document waits for more ops (one per KB of its JSON): the
   * snapshots' share of each keystroke stays the same whatever the size [P2].
   */
  private scheduleSnapshot(): void {
    const behind = this.head - this.snapshotVersion;
    if (behind <= 0) return;
    const every = Math.max(
      this.deps.settings.snapshotEveryOps,
      Math.floor(this.contents.jsonBytes() / snapshotBytesPerOp),
    );
    // After a failed write, the next attempt waits for the interval: storage that keeps failing is not
    // asked again in a loop.
    if (behind >= every && !this.snapshotFailed) {
      this.startSnapshot();
      return;
    }
    if (this.snapshotTimer) return;
    this.snapshotTimer = this.deps.fork(
      Effect.sleep(this.deps.settings.snapshotIntervalMs).pipe(
        Effect.andThen(
          Effect.sync(() => {
            this.snapshotTimer = undefined;
            this.startSnapshot();
          }),
        ),
      ),
    );
  }

  private stopSnapshotTimer(): void {
    this.snapshotTimer?.interruptUnsafe();
    this.snapshotTimer = undefined;
  }

  private startSnapshot(): void {
    if (this.snapshotting) return;
    this.deps.fork(
      this.saveSnapshot().pipe(
        Effect.catch((error) =>
          Effect.sync(() =>
            log.warn('snapshot failed; the op log still holds every op', { docId: this.id, error }),
          ),
        ),
      ),
    );
  }

  /** Writes a snapshot of the head if it is newer than the stored one. */
  saveSnapshot(): Effect.Effect<void, StorageFailure> {
    return Effect.suspend(() => {
      if (this.snapshotting || this.head <= this.snapshotVersion) return Effect.void;
      this.snapshotting = true;
      this.stopSnapshotTimer();
      const version = this.head;
      // Serialised here, off the commit path, and kept for the version's readers.
      const ops = this.contents.toDelta().ops as Op[];
      // [H1] history rebuilds any version from the kept snapshot before it, so at most about
      // `historySnapshotEveryOps + snapshotEveryOps` ops are replayed.
      const every = this.deps.settings.historySnapshotEveryOps;
      const keep = Math.floor(version / every) > Math.floor(this.snapshotVersion / every);
      // [L1] serialising a large document took this turn; writing it takes the next.
      return Effect.yieldNow.pipe(
        Effect.andThen(Clock.currentTimeMillis),
        Effect.flatMap((updatedAt) => {
          const snapshot = { docId: this.id, version, ops, updatedAt };
          const saved = this.deps.store.saveSnapshot(snapshot);
          return keep ? saved.pipe(Effect.andThen(this.deps.store.archiveSnapshot(snapshot))) : saved;
        }),
        Effect.tap(() =>
          Effect.sync(() => {
            this.snapshotVersion = Math.max(this.snapshotVersion, version);
            this.snapshotFailed = false;
          }),
        ),
        Effect.tapError(() =>
          Effect.sync(() => {
            this.snapshotFailed = true;
          }),
        ),
        Effect.ensuring(
          Effect.sync(() => {
            this.snapshotting = false;
            if (!this.disposed) this.scheduleSnapshot();
          }),
        ),
      );
    });
  }

  /** Stops timers; pending snapshots are the caller's to flush first. */
  dispose(): void {
    this.disposed = true;
    this.stopSnapshotTimer();
    for (const wake of [...this.waiters]) wake();
    this.commitListeners.clear();
  }
}
