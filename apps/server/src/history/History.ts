import { randomUUID } from 'node:crypto';
import { Delta, DocumentTree, diffDocuments, type Op } from '@collab/ot';
import type { Op as WireOp } from '@collab/protocol';
import {
  authorIdOf,
  type HistoryAtOutput,
  type HistorySession,
  type HistorySessionsOutput,
} from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
import { Config } from '../config.js';
import { InvalidInput, type notFound } from '../domain/errors.js';
import {
  type DocumentSessions,
  DocumentSessions as Sessions,
  type SubmitError,
} from '../sessions/DocumentSessions.js';
import { DocumentStore, type StorageFailure } from '../storage/DocumentStore.js';
import { Authors } from './authors.js';
import { type AuthoredChange, markChanges } from './changes.js';
import { appendToSessions, restoreClientId, type SessionSummary } from './sessions.js';

type NotFound = ReturnType<typeof notFound>;

/** Ops read from storage per page while summarising or rebuilding. */
const readPage = 5_000;
/** Past this many ops the changes are marked from a diff of the two versions, without authors. */
const maxAttributedOps = 20_000;
/** Documents whose sessions summary is kept in memory, extended with new ops on each request. */
const summaryCacheSize = 64;

interface Summary {
  readonly sessions: SessionSummary[];
  /** The names known when the summary was built: a new name rebuilds it (names split sessions). */
  readonly namesKey: string;
  throughVersion: number;
}

/**
 * Version history [H1]: sessions summarised on the server (the op log never goes to the browser), any
 * version rebuilt from the kept snapshot before it plus at most a few hundred ops, names, and restore.
 * Used by the tRPC `history` router and by any other service.
 */
export class History extends Context.Service<
  History,
  {
    sessions(docId: string): Effect.Effect<HistorySessionsOutput, NotFound | StorageFailure>;
    at(
      docId: string,
      version: number,
      sinceVersion?: number,
    ): Effect.Effect<HistoryAtOutput, NotFound | InvalidInput | StorageFailure>;
    /** The document's contents at `version`. */
    documentAt(
      docId: string,
      version: number,
    ): Effect.Effect<Delta, NotFound | InvalidInput | StorageFailure>;
    name(
      docId: string,
      version: number,
      name: string,
    ): Effect.Effect<void, NotFound | InvalidInput | StorageFailure>;
    /** Commits one op that makes the document equal to `version`; answers the new head version. */
    restore(
      docId: string,
      version: number,
      clientId: string,
    ): Effect.Effect<number, NotFound | InvalidInput | SubmitError>;
  }
>()('collab/history/History') {
  static readonly layer = Layer.effect(
    History,
    Effect.gen(function* () {
      const store = yield* DocumentStore;
      const config = yield* Config;
      const maxReplay = config.historySnapshotEveryOps + config.snapshotEveryOps;
      const sessions: DocumentSessions['Service'] = yield* Sessions;
      const authors = yield* Authors;
      const summaries = new Map<string, Summary>();

      const headOf = (docId: string) =>
        sessions.withSession(docId, (session) =>
          Effect.succeed({ version: session.version, document: session.document }),
        );

      const checkVersion = (docId: string, version: number, head: number) =>
        version > head
          ? Effect.fail(
              new InvalidInput({
                message: `Version ${version} is ahead of the document "${docId}" (version ${head})`,
              }),
            )
          : Effect.void;

      const documentAtUnchecked = (docId: string, version: number) =>
        Effect.gen(function* () {
          const archived = yield* store.loadArchivedSnapshot(docId, version);
          // Farther from a kept snapshot than the cadence allows: the document was written before snapshots
          // were kept for history (or its last ones were lost in a crash). The latest snapshot may be closer.
          const latest =
            archived === undefined || version - archived.version > maxReplay
              ? yield* store.loadSnapshot(docId)
              : undefined;
          const usable = latest !== undefined && latest.version <= version ? latest : undefined;
          const kept = (usable?.version ?? -1) > (archived?.version ?? -1) ? usable : archived;
          if (kept === undefined) {
            return yield* new InvalidInput({
              message: `Version ${version} of "${docId}" is older than the history kept for it`,
            });
          }
          let document = DocumentTree.fromDelta(new Delta([...kept.ops] as Op[]));
          let after = kept.version;
          while (after < version) {
            const ops = yield* store.readOps(docId, after, version, readPage);
            if (ops.length === 0) break;
            for (const op of ops) document = document.apply(new Delta([...op.ops] as Op[]));
            after = ops.at(-1)?.version ?? version;
          }
          return document.toDelta();
        });

      const documentAt = (docId: string, version: number) =>
        Effect.gen(function* () {
          const head = yield* headOf(docId);
          yield* checkVersion(docId, version, head.version);
          if (version === head.version) return head.document;
          return yield* documentAtUnchecked(docId, version);
        });

      const namesOf = (docId: string) => store.listVersionNames(docId);

      const summarise = (docId: string, head: number, names: ReadonlySet<number>) =>
        Effect.gen(function* () {
          const namesKey = [...names].join(',');
          let summary = summaries.get(docId);
          if (summary === undefined || summary.namesKey !== namesKey || summary.throughVersion > head) {
            summary = { sessions: [], namesKey, throughVersion: 0 };
          }
          summaries.delete(docId);
          summaries.set(docId, summary);
          if (summaries.size > summaryCacheSize) summaries.delete(summaries.keys().next().value as string);
          while (summary.throughVersion < head) {
            const ops = yield* store.readOpSummaries(docId, summary.throughVersion, head, readPage);
            if (ops.length === 0) break;
            appendToSessions(summary.sessions, ops, names);
            summary.throughVersion = ops.at(-1)?.version ?? head;
          }
          return summary.sessions;
        });

      return History.of({
        documentAt,

        sessions: (docId) =>
          Effect.gen(function* () {
            const head = yield* headOf(docId);
            const named = yield* namesOf(docId);
            const nameByVersion = new Map(named.map((entry) => [entry.version, entry.name]));
            const summary = yield* summarise(docId, head.version, new Set(nameByVersion.keys()));
            const authorIds = [...new Set(summary.flatMap((session) => session.authorIds))];
            const profiles = new Map((yield* authors.profiles(authorIds)).map((p) => [p.authorId, p]));
            const list: HistorySession[] = summary.map((session) => ({
              fromVersion: session.fromVersion,
              toVersion: session.toVersion,
              startedAt: session.startedAt,
              endedAt: session.endedAt,
              opCount: session.opCount,
              authors: session.authorIds.flatMap((id) => profiles.get(id) ?? []),
              name: nameByVersion.get(session.toVersion) ?? null,
              restore: session.restore,
            }));
            const output: HistorySessionsOutput = {
              id: docId,
              headVersion: head.version,
              sessions: list.reverse(),
            };
            return output;
          }),

        at: (docId, version, sinceVersion) =>
          Effect.gen(function* () {
            const document = yield* documentAt(docId, version);
            if (sinceVersion === undefined || sinceVersion >= version) {
              const unmarked: HistoryAtOutput = {
                id: docId,
                version,
                delta: { ops: document.ops as WireOp[] },
                changes: null,
                authors: [],
              };
              return unmarked;
            }
            const base = yield* documentAtUnchecked(docId, sinceVersion);
            let marked: Delta;
            const authorIds = new Set<string>();
            if (version - sinceVersion > maxAttributedOps) {
              marked = markChanges(base, [{ delta: diffDocuments(base, document), authorId: '' }]);
            } else {
              const changes: AuthoredChange[] = [];
              let after = sinceVersion;
              while (after < version) {
                const ops = yield* store.readOps(docId, after, version, readPage);
                if (ops.length === 0) break;
                for (const op of ops) {
                  const authorId = authorIdOf(op.clientId);
                  authorIds.add(authorId);
                  changes.push({ delta: new Delta([...op.ops] as Op[]), authorId });
                }
                after = ops.at(-1)?.version ?? version;
              }
              marked = markChanges(base, changes);
            }
            const view: HistoryAtOutput = {
              id: docId,
              version,
              delta: { ops: document.ops as WireOp[] },
              changes: { ops: marked.ops as WireOp[] },
              authors: yield* authors.profiles([...authorIds]),
            };
            return view;
          }),

        name: (docId, version, name) =>
          Effect.gen(function* () {
            const head = yield* headOf(docId);
            yield* checkVersion(docId, version, head.version);
            const createdAt = yield* Clock.currentTimeMillis;
            yield* store.saveVersionName({ docId, version, name, createdAt });
          }),

        restore: (docId, version, clientId) =>
          Effect.gen(function* () {
            const document = yield* documentAt(docId, version);
            const restoredBy = restoreClientId(authorIdOf(clientId), randomUUID().slice(0, 8));
            const { version: head } = yield* sessions.replace(
              docId,
              { ops: document.ops as WireOp[] },
              restoredBy,
            );
            return head;
          }),
      });
    }),
  );
}
