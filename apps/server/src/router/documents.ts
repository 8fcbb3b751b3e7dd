import { randomUUID } from 'node:crypto';
import { Delta } from '@collab/ot';
import {
  type ChangesEvent,
  ChangesInput,
  CreateInput,
  DocumentRef,
  HistoryInput,
  SubmitInput,
  UpdateInput,
} from '@collab/protocol';
import { tracked } from '@trpc/server';
import * as Effect from 'effect/Effect';
import { LimitExceeded, VersionAhead } from '../domain/errors.js';
import { firstLineOf } from '../home/firstLine.js';
import { answerBytes, chargeWrite, creationAdmission, quotaKeyOf } from '../limits/index.js';
import { log } from '../log.js';
import { changesPageSize } from '../sessions/DocumentSession.js';
import type { SessionLease } from '../sessions/DocumentSessions.js';
import { SerializedEvent } from '../transport/trpcFrames.js';
import { requireOwnClientId } from '../trpc/access.js';
import type { TrpcContext } from '../trpc/context.js';
import { editorProcedure, openStream, router, viewerProcedure, writeProcedure } from '../trpc/init.js';
import { toTrpcError } from '../trpc/run.js';

/**
 * [L2] Counts an answer's ops against the request's answer budget, so that a small batch cannot make
 * the server build a huge answer (HTTP batches are answered as one body).
 */
function charge<
  T extends { delta: { ops: readonly object[] } } | { ops: readonly { delta: { ops: readonly object[] } }[] },
>(ctx: TrpcContext, answer: T): T {
  const bytes =
    'delta' in answer
      ? answerBytes(answer.delta.ops)
      : answer.ops.reduce((sum, op) => sum + answerBytes(op.delta.ops), 0);
  if (!ctx.connection.chargeOutput(bytes)) {
    throw toTrpcError(
      new LimitExceeded({
        message: `The answers to this request would be over ${ctx.bounds.settings.maxResponseBytes} bytes; ask for fewer at once`,
      }),
    );
  }
  return answer;
}

const admission = (ctx: TrpcContext) =>
  creationAdmission(
    ctx.bounds.quotas,
    quotaKeyOf(ctx.principal, ctx.connection.address),
    ctx.connection.address,
  );

function chargeWriteOrThrow(ctx: TrpcContext, ops: readonly object[]): void {
  const refusal = chargeWrite(ctx.bounds.quotas, quotaKeyOf(ctx.principal, ctx.connection.address), ops);
  if (refusal) throw toTrpcError(refusal);
}

export const documentsRouter = router({
  get: viewerProcedure
    .input(DocumentRef)
    .query(async ({ input, ctx }) =>
      charge(ctx, await ctx.run(ctx.services.sessions.get(input.id), { procedure: 'documents.get' })),
    ),

  /** A new document is owned by its creator [A2]; an existing one needs at least the viewer role [A3]. */
  getOrCreate: writeProcedure.input(DocumentRef).mutation(async ({ input, ctx }) => {
    const { access, sessions, home } = ctx.services;
    const document = await ctx.run(
      access.claim(ctx.principal, input.id).pipe(
        Effect.andThen(access.require(ctx.principal, input.id, input.key, 'viewer')),
        Effect.andThen(sessions.getOrCreate(input.id, admission(ctx))),
        Effect.tap((doc) => (doc.created ? home.created(ctx.principal, input.id, '') : Effect.void)),
      ),
      { procedure: 'documents.getOrCreate', docId: input.id },
    );
    return charge(ctx, document);
  }),

  create: writeProcedure.input(CreateInput).mutation(({ input, ctx }) => {
    const id = input.id ?? randomUUID();
    return ctx.run(
      ctx.services.access.claim(ctx.principal, id).pipe(
        Effect.andThen(ctx.services.sessions.create(id, input.delta, admission(ctx))),
        Effect.tap((doc) => ctx.services.home.created(ctx.principal, id, firstLineOf(doc.delta.ops))),
      ),
      { procedure: 'documents.create', docId: id },
    );
  }),

  /** Replaces the whole contents; committed as one op (the diff), so live editors see it. */
  update: editorProcedure.input(UpdateInput).mutation(async ({ input, ctx }) => {
    chargeWriteOrThrow(ctx, input.delta.ops);
    const { version } = await ctx.run(
      ctx.services.sessions.replace(
        input.id,
        input.delta,
        `${ctx.principal.authorId}.update-${randomUUID()}`,
      ),
      { procedure: 'documents.update', docId: input.id },
    );
    ctx.services.home.edited(ctx.principal, input.id);
    return { id: input.id, version };
  }),

  /** [C1] commits an op made on `baseVersion`; [C3] a resubmitted op answers with its original version. */
  submit: editorProcedure.input(SubmitInput).mutation(async ({ input, ctx }) => {
    requireOwnClientId(ctx, input.clientId);
    chargeWriteOrThrow(ctx, input.delta.ops);
    const version = await ctx.run(
      ctx.services.sessions.submit(input.id, {
        clientId: input.clientId,
        seq: input.seq,
        baseVersion: input.baseVersion,
        delta: new Delta(input.delta.ops),
      }),
      { procedure: 'documents.submit', docId: input.id },
    );
    ctx.services.home.edited(ctx.principal, input.id);
    return { version };
  }),

  /**
   * [C2] every committed op after `sinceVersion` (or `lastEventId` on reconnect), in version order, no gap,
   * no duplicate; each event holds consecutive ops and is tracked by the version of its last op.
   */
  changes: viewerProcedure.input(ChangesInput).subscription(async function* ({ input, ctx, signal }) {
    const closeStream = openStream(ctx);
    let lease: SessionLease | undefined;
    // [A3] the stream ends within seconds when its access is revoked or lowered.
    const watch = ctx.services.access.watch(ctx.principal, input.id, input.key, 'viewer');
    const abort = signal ? AbortSignal.any([signal, watch.signal]) : watch.signal;
    try {
      lease = await ctx.run(ctx.services.sessions.lease(input.id), { procedure: 'documents.changes' });
      const { session } = lease;
      let last = input.lastEventId != null ? Number(input.lastEventId) : input.sinceVersion;
      if (!(await ctx.run(session.reach(last), { procedure: 'documents.changes', docId: input.id }))) {
        throw toTrpcError(
          new VersionAhead({
            message: `sinceVersion ${last} is ahead of the document's version ${session.version}`,
          }),
        );
      }
      // The start of this subscription's frames, learned when its first event is sent through tRPC;
      // from then on, whenever it has every visible op, it follows the document's feed [P1].
      let head: Buffer | undefined;
      const learnHead = (text: string) => {
        head = Buffer.from(text);
      };
      const { frames } = ctx.connection;
      while (!abort.aborted) {
        const visible = session.visibleVersion;
        if (visible <= last) {
          if (head === undefined || frames === undefined) {
            await session.waitForChangeAfter(last, abort);
            continue;
          }
          const left = await session.feed.follow(frames, head, last, ctx.maxSocketBacklogBytes, abort);
          if (left.reason === 'closed') return;
          last = left.last;
          continue;
        }
        // [P1] a subscriber that cannot keep up is cut off; it resumes from its last version on reconnect.
        if (ctx.connection.backlogBytes() > ctx.maxSocketBacklogBytes) {
          log.warn('slow subscriber disconnected', { docId: input.id, connection: ctx.connection.id });
          ctx.connection.terminate();
          return;
        }
        const ops = await ctx.run(session.opsBetween(last, visible, changesPageSize), {
          procedure: 'documents.changes',
          docId: input.id,
        });
        const lastOp = ops.at(-1);
        if (!lastOp) break;
        last = lastOp.version;
        yield tracked(String(last), new SerializedEvent<ChangesEvent>({ ops }, learnHead));
      }
      const lost = watch.lost();
      if (lost) throw toTrpcError(lost);
    } finally {
      watch.stop();
      lease?.release();
      closeStream();
    }
  }),

  /** Committed ops with `fromVersion < version <= toVersion`, oldest first, a page at a time. */
  history: viewerProcedure.input(HistoryInput).query(({ input, ctx }) =>
    ctx.run(
      ctx.services.sessions.withSession(input.id, (session) =>
        Effect.gen(function* () {
          const head = session.version;
          const to = Math.min(input.toVersion ?? head, head);
          const limit = Math.min(input.limit ?? ctx.limits.maxHistoryPage, ctx.limits.maxHistoryPage);
          const ops = yield* session.opsBetween(input.fromVersion, to, limit);
          const lastVersion = ops.at(-1)?.version ?? to;
          return charge(ctx, {
            id: input.id,
            ops,
            headVersion: head,
            nextFromVersion: lastVersion < to ? lastVersion : null,
          });
        }),
      ),
      { procedure: 'documents.history', docId: input.id },
    ),
  ),
});
