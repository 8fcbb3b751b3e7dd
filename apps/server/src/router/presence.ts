import { type PresenceEvent, PresenceStreamInput, PresenceUpdateInput } from '@collab/protocol';
import { requireOwnClientId } from '../trpc/access.js';
import { openStream, router, viewerProcedure, writeProcedure } from '../trpc/init.js';
import { toTrpcError } from '../trpc/run.js';

export const presenceRouter = router({
  /**
   * [C6] a client's cursor and selection at its document version; refresh it to keep it alive. Viewers
   * publish presence too [A3]; only under the caller's own clientIds [A4].
   */
  update: writeProcedure.input(PresenceUpdateInput).mutation(async ({ input, ctx }) => {
    requireOwnClientId(ctx, input.clientId);
    const { sessions, presence, access, authors } = ctx.services;
    // An HTTP request has no lasting connection: its cursors count against the caller's principal [A4].
    const holder = ctx.response ? `http:${ctx.principal.authorId}` : ctx.connection.id;
    await ctx.run(access.require(ctx.principal, input.id, input.key, 'viewer'), {
      procedure: 'presence.update',
      docId: input.id,
    });
    await ctx.run(
      sessions.withSession(input.id, (session) => presence.update(session, input, holder)),
      { procedure: 'presence.update', docId: input.id },
    );
    // [H1] history shows authors by the name and colour they last published.
    await ctx.run(authors.remember(input.clientId, input.user), { procedure: 'presence.update' });
    return { ok: true as const };
  }),

  /** Everyone present, then each change; a client's own entry is left out. Ends its presence when closed. */
  stream: viewerProcedure.input(PresenceStreamInput).subscription(async function* ({ input, ctx, signal }) {
    requireOwnClientId(ctx, input.clientId);
    const { sessions, presence, access } = ctx.services;
    const closeStream = openStream(ctx);
    const lease = await ctx
      .run(sessions.lease(input.id), { procedure: 'presence.stream' })
      .catch((error: unknown) => {
        closeStream();
        throw error;
      });
    // Latest event per client: a burst of cursor moves costs one message per client.
    const pending = new Map<string, PresenceEvent>();
    let wake: (() => void) | undefined;
    const stop = presence.listen(lease.session, (event) => {
      const clientId = event.type === 'update' ? event.entry.clientId : event.clientId;
      if (clientId === input.clientId) return;
      pending.set(clientId, event);
      wake?.();
    });
    const watch = access.watch(ctx.principal, input.id, input.key, 'viewer');
    const abort = signal ? AbortSignal.any([signal, watch.signal]) : watch.signal;
    abort.addEventListener('abort', () => wake?.(), { once: true });
    try {
      while (!abort.aborted) {
        if (pending.size === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const events = [...pending.values()];
        pending.clear();
        yield { events };
      }
      const lost = watch.lost();
      if (lost) throw toTrpcError(lost);
    } finally {
      watch.stop();
      stop();
      // [A4] only this connection's own entry leaves.
      if (input.clientId) presence.leave(input.id, input.clientId, ctx.connection.id);
      lease.release();
      closeStream();
    }
  }),
});
