import { Delta, validateDocument } from '@collab/ot';
import { type DeltaJson, type DocumentSnapshot, deltaContentProblem, type Op } from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import type * as Fiber from 'effect/Fiber';
import * as FiberSet from 'effect/FiberSet';
import * as Layer from 'effect/Layer';
import { Broadcast } from '../broadcast/Broadcast.js';
import { Config } from '../config.js';
import {
  DocumentExists,
  InvalidOperation,
  LimitExceeded,
  notFound,
  type RateLimited,
  TooManyConnections,
  type Unavailable,
  type VersionAhead,
  type VersionTooOld,
} from '../domain/errors.js';
import { Images } from '../images/Images.js';
import { log } from '../log.js';
import { DocumentStore, type StorageFailure } from '../storage/DocumentStore.js';
import { type CommitRequest, DocumentSession, type SessionDeps } from './DocumentSession.js';

/** Why an op can be refused, besides the document not existing. */
export type SubmitError =
  | InvalidOperation
  | VersionAhead
  | VersionTooOld
  | LimitExceeded
  | Unavailable
  | StorageFailure;

/** Admits the creation of a document of `bytes` (creation quotas [L3]), or refuses it. */
export type AdmitCreation = (bytes: number) => Effect.Effect<void, RateLimited>;

/** A document new documents start as [D1]. */
export const emptyDocument: DeltaJson = { ops: [{ insert: '\n' }] };

/** How long a client refused for a full document is asked to wait before trying again. */
const streamRetryAfterMs = 5_000;

/** A session held open by a subscription; `release` lets it unload when idle [S3]. */
export interface SessionLease {
  readonly session: DocumentSession;
  release(): void;
}

/**
 * The open documents of this instance: loads them on demand (snapshot + ops after it [S2]), serialises
 * their commits, keeps them subscribed to other instances while loaded, and unloads them when nobody
 * has used them for a while, so memory follows open documents, not documents ever opened [S3].
 */
export class DocumentSessions extends Context.Service<
  DocumentSessions,
  {
    get(id: string): Effect.Effect<DocumentSnapshot, ReturnType<typeof notFound> | StorageFailure>;
    getOrCreate(
      id: string,
      admit?: AdmitCreation,
    ): Effect.Effect<DocumentSnapshot & { created: boolean }, RateLimited | StorageFailure>;
    create(
      id: string,
      delta: DeltaJson | undefined,
      admit?: AdmitCreation,
    ): Effect.Effect<
      DocumentSnapshot,
      DocumentExists | InvalidOperation | LimitExceeded | RateLimited | StorageFailure
    >;
    replace(
      id: string,
      delta: DeltaJson,
      clientId: string,
    ): Effect.Effect<{ version: number }, ReturnType<typeof notFound> | SubmitError>;
    submit(
      id: string,
      request: CommitRequest,
    ): Effect.Effect<number, ReturnType<typeof notFound> | SubmitError>;
    /** Runs `use` with the session loaded and kept loaded meanwhile. */
    withSession<A, E>(
      id: string,
      use: (session: DocumentSession) => Effect.Effect<A, E>,
    ): Effect.Effect<A, E | ReturnType<typeof notFound> | StorageFailure>;
    /**
     * Keeps a session loaded until released (subscriptions). Every lease is a stream and counts against
     * the per-document limit [L3].
     */
    lease(
      id: string,
    ): Effect.Effect<SessionLease, ReturnType<typeof notFound> | TooManyConnections | StorageFailure>;
    /** Sessions currently loaded (for tests and health). */
    loadedCount(): number;
  }
>()('collab/sessions/DocumentSessions') {
  static readonly layer = Layer.effect(
    DocumentSessions,
    Effect.gen(function* () {
      const config = yield* Config;
      const store = yield* DocumentStore;
      const broadcast = yield* Broadcast;
      const images = yield* Images;
      const limits = config.limits;

      interface Entry {
        readonly load: Effect.Effect<DocumentSession | undefined, StorageFailure>;
        session?: DocumentSession;
        /** Sleeps on the app's `Clock` until the idle session is unloaded [S3]. */
        idleTimer?: Fiber.Fiber<void>;
        unsubscribe?: () => void;
      }
      const entries = new Map<string, Entry>();
      // Background work (publishing, catch-up, snapshots, idle unloads) runs as fibers of this layer's
      // scope: interrupted when the app shuts down, after the finalizer below has flushed the snapshots.
      const fork = yield* FiberSet.makeRuntime();

      const deps: SessionDeps = {
        store,
        settings: {
          recentOpsWindow: config.recentOpsWindow,
          maxRebaseSteps: config.bounds.maxRebaseSteps,
          snapshotEveryOps: config.snapshotEveryOps,
          snapshotIntervalMs: config.snapshotIntervalMs,
          historySnapshotEveryOps: config.historySnapshotEveryOps,
          limits,
        },
        publish: (docId, op) => fork(broadcast.publishOp(docId, op)),
        fork,
      };

      const load = (id: string) =>
        Effect.gen(function* () {
          const snapshot = yield* store.loadSnapshot(id);
          if (!snapshot) return undefined;
          const ops = yield* store.readOps(id, Math.max(0, snapshot.version - config.recentOpsWindow));
          const session = new DocumentSession(deps, snapshot, ops);
          const entry = entries.get(id);
          if (entry) {
            entry.session = session;
            entry.unsubscribe = yield* broadcast.subscribe(id, {
              onOp: (op) => fork(logFailure(session.receiveRemote(op), id)),
              onPresence: () => {},
              onResync: () => fork(logFailure(session.catchUp(), id)),
            });
            // Another instance may have committed between our read and the subscription.
            yield* session.catchUp();
          }
          return session;
        });

      const logFailure = (effect: Effect.Effect<void, StorageFailure>, docId: string) =>
        effect.pipe(
          Effect.catch((error) => Effect.sync(() => log.error('catch-up failed', { docId, error }))),
        );

      /** The loaded session, loading it once however many callers ask at the same time. */
      const acquire = (id: string) =>
        Effect.gen(function* () {
          let entry = entries.get(id);
          if (!entry) {
            const cached = yield* Effect.cached(load(id));
            entry = { load: cached };
            entries.set(id, entry);
          }
          const current = entry;
          const session = yield* current.load.pipe(
            Effect.tapError(() => Effect.sync(() => entries.get(id) === current && entries.delete(id))),
          );
          if (!session) {
            if (entries.get(id) === current) entries.delete(id);
            return yield* Effect.fail(notFound(id));
          }
          current.idleTimer?.interruptUnsafe();
          current.idleTimer = undefined;
          session.users++;
          return session;
        });

      const release = (session: DocumentSession) => {
        session.users--;
        if (session.users > 0) return;
        const entry = entries.get(session.id);
        if (!entry || entry.session !== session) return;
        // Once the unload starts it finishes (its snapshot is written) even if the session is wanted again.
        entry.idleTimer = fork(
          Effect.sleep(config.idleUnloadMs).pipe(
            Effect.andThen(Effect.uninterruptible(unload(session.id, session))),
          ),
        );
      };

      const unload = (id: string, session: DocumentSession) =>
        Effect.gen(function* () {
          const entry = entries.get(id);
          if (!entry || entry.session !== session || session.users > 0) return;
          entries.delete(id);
          entry.unsubscribe?.();
          yield* session
            .saveSnapshot()
            .pipe(
              Effect.catch((error) =>
                Effect.sync(() =>
                  log.warn('snapshot on unload failed; the op log holds every op', { docId: id, error }),
                ),
              ),
            );
          session.dispose();
          log.debug('document unloaded', { docId: id });
        });

      const withSession = <A, E>(id: string, use: (session: DocumentSession) => Effect.Effect<A, E>) =>
        Effect.acquireUseRelease(acquire(id), use, (session) => Effect.sync(() => release(session)));

      const snapshotOf = (session: DocumentSession): DocumentSnapshot =>
        ({
          id: session.id,
          version: session.version,
          delta: { ops: session.document.ops as Op[] },
        }) as DocumentSnapshot;

      const checkDocument = (delta: DeltaJson) =>
        Effect.gen(function* () {
          const doc = new Delta(delta.ops);
          const problem = validateDocument(doc) ?? deltaContentProblem(doc.ops);
          if (problem) return yield* new InvalidOperation({ message: `Invalid document: ${problem}` });
          const bytes = Buffer.byteLength(JSON.stringify(delta.ops));
          if (bytes > limits.maxDocumentBytes) {
            return yield* new LimitExceeded({
              message: `The document is ${bytes} bytes, over the limit of ${limits.maxDocumentBytes} bytes`,
            });
          }
          return { doc, bytes };
        });

      /** [H4] the change's data-URL images stored as uploads and replaced by their paths, before any check. */
      const withStoredImages = (id: string, delta: DeltaJson) =>
        images
          .storeInline(id, delta.ops)
          .pipe(Effect.map((ops): DeltaJson => (ops === delta.ops ? delta : { ops: [...ops] })));

      const create = (id: string, delta: DeltaJson | undefined, admit?: AdmitCreation) =>
        Effect.gen(function* () {
          const contents = delta ? yield* withStoredImages(id, delta) : emptyDocument;
          const { doc, bytes } = yield* checkDocument(contents);
          if (admit) yield* admit(bytes);
          const updatedAt = yield* Clock.currentTimeMillis;
          yield* store
            .createDocument({ docId: id, version: 0, ops: doc.ops as Op[], updatedAt })
            .pipe(
              Effect.catchTag('DocumentAlreadyExists', () =>
                Effect.fail(new DocumentExists({ message: `Document "${id}" already exists` })),
              ),
            );
          return { id, version: 0, delta: { ops: doc.ops as Op[] } } as DocumentSnapshot;
        });

      const getOrCreate = (id: string, admit?: AdmitCreation) =>
        withSession(id, (session) => Effect.succeed({ ...snapshotOf(session), created: false })).pipe(
          Effect.catchTag('DocumentNotFound', () =>
            create(id, undefined, admit).pipe(
              Effect.map((snapshot) => ({ ...snapshot, created: true })),
              // Someone else created it meanwhile: theirs is the document.
              Effect.catchTag('DocumentExists', () =>
                withSession(id, (session) => Effect.succeed({ ...snapshotOf(session), created: false })),
              ),
              Effect.catchTag(['InvalidOperation', 'LimitExceeded', 'DocumentNotFound'], (error) =>
                Effect.die(error),
              ),
            ),
          ),
        );

      const flushAll = () =>
        Effect.forEach(
          [...entries.values()].flatMap((entry) => (entry.session ? [entry.session] : [])),
          (session) =>
            session
              .saveSnapshot()
              .pipe(
                Effect.catch((error) =>
                  Effect.sync(() => log.warn('snapshot on shutdown failed', { docId: session.id, error })),
                ),
              ),
          { concurrency: 8, discard: true },
        );

      // [S5] on shutdown: snapshot what is open, then stop every timer so nothing runs after the store closes.
      yield* Effect.addFinalizer(() =>
        flushAll().pipe(
          Effect.ensuring(
            Effect.sync(() => {
              for (const entry of entries.values()) {
                entry.idleTimer?.interruptUnsafe();
                entry.unsubscribe?.();
                entry.session?.dispose();
              }
              entries.clear();
            }),
          ),
        ),
      );

      return DocumentSessions.of({
        // A read follows storage, not only Redis [S4]: a write just made through another instance is in it.
        get: (id) =>
          withSession(id, (session) => session.catchUp().pipe(Effect.map(() => snapshotOf(session)))),
        getOrCreate,
        create,
        replace: (id, delta, clientId) =>
          Effect.gen(function* () {
            const { doc } = yield* checkDocument(yield* withStoredImages(id, delta));
            const version = yield* withSession(id, (session) => session.replace(doc, clientId));
            return { version };
          }),
        submit: (id, request) =>
          withStoredImages(id, { ops: request.delta.ops as Op[] }).pipe(
            Effect.flatMap(({ ops }) =>
              withSession(id, (session) =>
                session.submit(ops === request.delta.ops ? request : { ...request, delta: new Delta(ops) }),
              ),
            ),
          ),
        withSession,
        lease: (id) =>
          Effect.gen(function* () {
            const session = yield* acquire(id);
            if (session.streams >= limits.maxConnectionsPerDocument) {
              release(session);
              return yield* new TooManyConnections({
                message: `Document "${id}" already has ${limits.maxConnectionsPerDocument} connections (streams) open; try again later`,
                retryAfterMs: streamRetryAfterMs,
              });
            }
            session.streams++;
            let released = false;
            return {
              session,
              release: () => {
                if (released) return;
                released = true;
                session.streams--;
                release(session);
              },
            };
          }),
        loadedCount: () => entries.size,
      });
    }),
  );
}
