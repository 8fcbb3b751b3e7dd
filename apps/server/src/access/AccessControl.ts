import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessInfo, GeneralAccess, LinkRole, Role } from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import * as Exit from 'effect/Exit';
import * as FiberSet from 'effect/FiberSet';
import * as Layer from 'effect/Layer';
import { Config } from '../config.js';
import { Forbidden, notFound, Unauthorized } from '../domain/errors.js';
import type { AccessRecord } from '../storage/AccessRecords.js';
import { DocumentStore, type StorageFailure } from '../storage/DocumentStore.js';
import { browserSessions } from './browserSessions.js';
import { bearerTokenOf, bearerVerifier } from './credentials.js';
import { anonymous, type Principal } from './principal.js';
import { atLeast, roleOf } from './roles.js';

/** How long a document's access record is trusted before it is read again (other instances' changes). */
const recordTtlMs = 2_000;
/** How often a live stream checks that its principal still has access [A3]. */
const watchIntervalMs = 1_000;

/** A live stream's hold on a document: aborted when the access it was opened with is gone [A3]. */
export interface AccessWatch {
  readonly signal: AbortSignal;
  /** Why the access ended (NOT_FOUND or FORBIDDEN), once it has. */
  readonly lost: () => Forbidden | ReturnType<typeof notFound> | undefined;
  readonly stop: () => void;
}

const newLinkKey = () => randomBytes(18).toString('base64url');

/**
 * Who may do what [A1]–[A3]: establishes the principal of a request or connection, and decides the role it
 * has on a document before any other work is done for it.
 */
export class AccessControl extends Context.Service<
  AccessControl,
  {
    /** The principal of a request: its bearer token (header or WebSocket connection params), else its cookie. */
    authenticate(
      req: IncomingMessage,
      token: string | undefined,
    ): Effect.Effect<Principal, Unauthorized | StorageFailure>;
    /** Like `authenticate`; a browser without a session gets one (its cookie set on `res`). */
    authenticateOrIssue(
      req: IncomingMessage,
      res: ServerResponse,
    ): Effect.Effect<Principal, Unauthorized | StorageFailure>;
    saveProfile(
      principal: Principal,
      profile: { name: string; color: string },
    ): Effect.Effect<Principal, StorageFailure>;
    /** The principal's role, at least `need`; NOT_FOUND without any access, FORBIDDEN below `need`. */
    require(
      principal: Principal,
      docId: string,
      key: string | undefined,
      need: Role,
    ): Effect.Effect<Role, Forbidden | ReturnType<typeof notFound> | StorageFailure>;
    /**
     * Before a document may be created: makes sure it has an access record, owned by `principal` when the
     * document is new (anonymous creators leave it ownerless and editable by anyone with the link [A8]).
     */
    claim(principal: Principal, docId: string): Effect.Effect<void, Forbidden | StorageFailure>;
    info(
      principal: Principal,
      docId: string,
      key: string | undefined,
    ): Effect.Effect<AccessInfo, Forbidden | ReturnType<typeof notFound> | StorageFailure>;
    setGeneralAccess(
      principal: Principal,
      docId: string,
      generalAccess: GeneralAccess,
    ): Effect.Effect<AccessInfo, Forbidden | ReturnType<typeof notFound> | StorageFailure>;
    /** Makes a new key for the link (the old one stops working), or removes the link. */
    changeLink(
      principal: Principal,
      docId: string,
      role: LinkRole,
      change: 'rotate' | 'revoke',
    ): Effect.Effect<AccessInfo, Forbidden | ReturnType<typeof notFound> | StorageFailure>;
    /** Drops what is remembered of the document's access, after a change that decides it (the trash). */
    forget(docId: string): void;
    /** Watches a live stream's access; its signal aborts within seconds of the access ending [A3]. */
    watch(principal: Principal, docId: string, key: string | undefined, need: Role): AccessWatch;
  }
>()('collab/access/AccessControl') {
  static readonly layer = Layer.effect(
    AccessControl,
    Effect.gen(function* () {
      const config = (yield* Config).access;
      const store = yield* DocumentStore;
      const sessions = browserSessions(store);
      const bearer = bearerVerifier(config);
      const records = new Map<string, { record: AccessRecord; until: number }>();
      const clock = yield* Clock.Clock;
      // Stream watches run as fibers of this layer's scope: they end when the app shuts down.
      const fork = yield* FiberSet.makeRuntime();

      const remember = (record: AccessRecord) => {
        if (records.size >= 50_000) records.delete(records.keys().next().value as string);
        records.set(record.docId, { record, until: clock.currentTimeMillisUnsafe() + recordTtlMs });
      };

      /**
       * The record of a document, or undefined when the document does not exist. A document stored before
       * access control existed gets an ownerless record open to anyone with the link, as it was.
       */
      const recordOf = (docId: string): Effect.Effect<AccessRecord | undefined, StorageFailure> =>
        Effect.gen(function* () {
          const cached = records.get(docId);
          if (cached && cached.until > (yield* Clock.currentTimeMillis)) return cached.record;
          let record = yield* store.loadAccess(docId);
          if (!record && (yield* store.loadSnapshot(docId))) {
            const legacy: AccessRecord = {
              docId,
              ownerId: null,
              generalAccess: 'edit',
              viewerKey: null,
              editorKey: null,
              updatedAt: yield* Clock.currentTimeMillis,
            };
            yield* store.createAccess(legacy).pipe(Effect.catchTag('AccessAlreadyExists', () => Effect.void));
            record = yield* store.loadAccess(docId);
          }
          // A document in the trash or deleted forever is absent for everyone [H3].
          const entry = record && (yield* store.loadEntry(docId));
          if (entry && (entry.trashedAt !== null || entry.deletedAt !== null)) return undefined;
          if (record) remember(record);
          return record;
        });

      type Denied = Forbidden | ReturnType<typeof notFound>;
      /** The role `principal` has on the document of `record` (undefined when absent), or why it lacks `need`. */
      const judge = (
        docId: string,
        record: AccessRecord | undefined,
        principal: Principal,
        key: string | undefined,
        need: Role,
      ): Role | Denied => {
        const role = record && roleOf(record, principal, key, config.compatAccess);
        if (!role) return notFound(docId);
        if (atLeast(role, need)) return role;
        return new Forbidden({
          message:
            need === 'owner'
              ? 'Only the owner can change who has access'
              : 'You can view this document but not change it',
        });
      };
      const decide = (
        docId: string,
        record: AccessRecord | undefined,
        principal: Principal,
        key: string | undefined,
        need: Role,
      ): Effect.Effect<Role, Denied> => {
        const verdict = judge(docId, record, principal, key, need);
        return typeof verdict === 'string' ? Effect.succeed(verdict) : Effect.fail(verdict);
      };

      /**
       * [A3] Every live stream's hold, by document: one fiber checks them all, reading each document's
       * record once per round for all the streams on it (no timer or fiber per stream).
       */
      interface Hold {
        readonly principal: Principal;
        readonly key: string | undefined;
        readonly need: Role;
        readonly controller: AbortController;
        lost: Denied | undefined;
      }
      const holds = new Map<string, Set<Hold>>();
      const checkHolds = Effect.gen(function* () {
        for (const [docId, held] of holds) {
          const exit = yield* Effect.exit(recordOf(docId));
          // A storage hiccup is not a revocation: the streams keep going and the next round decides.
          if (Exit.isFailure(exit)) continue;
          for (const hold of held) {
            const verdict = judge(docId, exit.value, hold.principal, hold.key, hold.need);
            if (typeof verdict === 'string' || hold.controller.signal.aborted) continue;
            hold.lost = verdict;
            hold.controller.abort();
          }
        }
      });
      /** The checks, a fiber of this layer's scope while any stream is held (ended on shutdown). */
      let holdChecks: ReturnType<typeof fork> | undefined;

      const requireRole = (
        principal: Principal,
        docId: string,
        key: string | undefined,
        need: Role,
      ): Effect.Effect<Role, Denied | StorageFailure> =>
        recordOf(docId).pipe(Effect.flatMap((record) => decide(docId, record, principal, key, need)));

      const infoOf = (record: AccessRecord, role: Role): AccessInfo => ({
        id: record.docId as AccessInfo['id'],
        role,
        generalAccess: record.generalAccess,
        links: role === 'owner' ? { viewer: record.viewerKey, editor: record.editorKey } : null,
      });

      const ownerChange = (
        principal: Principal,
        docId: string,
        change: (record: AccessRecord) => AccessRecord,
      ) =>
        Effect.gen(function* () {
          records.delete(docId);
          yield* requireRole(principal, docId, undefined, 'owner');
          const current = yield* store.loadAccess(docId);
          if (!current) return yield* Effect.fail(notFound(docId));
          const next = { ...change(current), updatedAt: yield* Clock.currentTimeMillis };
          yield* store.saveAccess(next);
          remember(next);
          return infoOf(next, 'owner');
        });

      const fromToken = (token: string) =>
        Effect.promise(() => bearer.verify(token)).pipe(
          Effect.flatMap((principal) =>
            principal
              ? Effect.succeed(principal)
              : Effect.fail(new Unauthorized({ message: 'The token or API key is not valid' })),
          ),
        );

      const authenticate = (
        req: IncomingMessage,
        token: string | undefined,
      ): Effect.Effect<Principal, Unauthorized | StorageFailure> => {
        const given = token ?? bearerTokenOf(req.headers.authorization);
        if (given !== undefined) return fromToken(given);
        return sessions.fromRequest(req).pipe(Effect.map((principal) => principal ?? anonymous));
      };

      return AccessControl.of({
        authenticate,
        authenticateOrIssue: (req, res) =>
          authenticate(req, undefined).pipe(
            Effect.flatMap((principal) =>
              principal.kind === 'anonymous' ? sessions.issue(req, res) : Effect.succeed(principal),
            ),
          ),
        saveProfile: (principal, profile) => sessions.saveProfile(principal, profile),
        require: requireRole,
        claim: (principal, docId) =>
          Effect.gen(function* () {
            if (principal.kind === 'anonymous' && !config.compatAccess) {
              return yield* Effect.fail(
                new Forbidden({ message: 'Creating documents needs a session, a token or an API key' }),
              );
            }
            if (yield* recordOf(docId)) return;
            const anonymousCreator = principal.kind === 'anonymous';
            const record: AccessRecord = {
              docId,
              ownerId: anonymousCreator ? null : principal.authorId,
              generalAccess: anonymousCreator ? 'edit' : config.defaultGeneralAccess,
              viewerKey: null,
              editorKey: null,
              updatedAt: yield* Clock.currentTimeMillis,
            };
            yield* store.createAccess(record).pipe(
              Effect.tap(() => Effect.sync(() => remember(record))),
              Effect.catchTag('AccessAlreadyExists', () => Effect.void),
            );
          }),
        info: (principal, docId, key) =>
          recordOf(docId).pipe(
            Effect.flatMap((record) =>
              decide(docId, record, principal, key, 'viewer').pipe(
                Effect.map((role) => infoOf(record as AccessRecord, role)),
              ),
            ),
          ),
        setGeneralAccess: (principal, docId, generalAccess) =>
          ownerChange(principal, docId, (record) => ({ ...record, generalAccess })),
        changeLink: (principal, docId, role, change) =>
          ownerChange(principal, docId, (record) => {
            const key = change === 'rotate' ? newLinkKey() : null;
            return role === 'viewer' ? { ...record, viewerKey: key } : { ...record, editorKey: key };
          }),
        forget: (docId) => {
          records.delete(docId);
        },
        watch: (principal, docId, key, need) => {
          const hold: Hold = { principal, key, need, controller: new AbortController(), lost: undefined };
          const held = holds.get(docId) ?? new Set();
          held.add(hold);
          holds.set(docId, held);
          holdChecks ??= fork(Effect.sleep(watchIntervalMs).pipe(Effect.andThen(checkHolds), Effect.forever));
          return {
            signal: hold.controller.signal,
            lost: () => hold.lost,
            stop: () => {
              held.delete(hold);
              if (held.size === 0 && holds.get(docId) === held) holds.delete(docId);
              if (holds.size === 0 && holdChecks) {
                holdChecks.interruptUnsafe();
                holdChecks = undefined;
              }
            },
          };
        },
      });
    }),
  );
}
