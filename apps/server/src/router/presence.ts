import { type PresenceEvent, PresenceStreamInput, PresenceUpdateInput } from '@collab/protocol';
import { publicProcedure, router, writeProcedure } from '../trpc/init.js';

export const presenceRouter = router({
  /** [C6] a client's cursor and selection at its document version; refresh it to keep it alive. */
  update: writeProcedure.input(PresenceUpdateInput).mutation(async ({ input, ctx }) => {
    const { sessions, presence, authors } = ctx.services;
    await ctx.run(
      sessions.withSession(input.id, (session) => presence.update(session, input, ctx.connection.id)),
      { procedure: 'presence.update', docId: input.id },
    );
    // [H1] history shows authors by the name and colour they last published.
    await ctx.run(authors.remember(input.clientId, input.user), { procedure: 'presence.update' });
    return { ok: true as const };
  }),

  /** Everyone present, then each change; a client's own entry is left out. Ends its presence when closed. */
  stream: publicProcedure.input(PresenceStreamInput).subscription(async function* ({ input, ctx, signal }) {
    const { sessions, presence } = ctx.services;
    const lease = await ctx.run(sessions.lease(input.id, ctx.connection.id), {
      procedure: 'presence.stream',
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
    const abort = signal ?? new AbortController().signal;
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
    } finally {
      stop();
      if (input.clientId) presence.leave(input.id, input.clientId);
      lease.release();
    }
  }),
});
