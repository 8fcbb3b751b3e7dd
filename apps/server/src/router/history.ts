import {
  HistoryAtInput,
  HistoryNameInput,
  HistoryRestoreInput,
  HistorySessionsInput,
} from '@collab/protocol';
import { requireOwnClientId } from '../trpc/access.js';
import { editorProcedure, router, viewerProcedure } from '../trpc/init.js';

/** Version history [H1]: sessions, any version with its changes, names, restore. Viewers read it; editors name and restore [A3]. */
export const historyRouter = router({
  /** Editing sessions, newest first, with their authors' names and colours. */
  sessions: viewerProcedure
    .input(HistorySessionsInput)
    .query(({ input, ctx }) =>
      ctx.run(ctx.services.history.sessions(input.id), { procedure: 'history.sessions', docId: input.id }),
    ),

  /** The document at a version, and what changed since `sinceVersion`, marked by author. */
  at: viewerProcedure.input(HistoryAtInput).query(({ input, ctx }) =>
    ctx.run(ctx.services.history.at(input.id, input.version, input.sinceVersion), {
      procedure: 'history.at',
      docId: input.id,
    }),
  ),

  /** Names a version (renames it when it has a name). */
  name: editorProcedure.input(HistoryNameInput).mutation(async ({ input, ctx }) => {
    await ctx.run(ctx.services.history.name(input.id, input.version, input.name), {
      procedure: 'history.name',
      docId: input.id,
    });
    return { ok: true as const };
  }),

  /** Commits one op that makes the document equal to `version`; live editors see it, history keeps it. */
  restore: editorProcedure.input(HistoryRestoreInput).mutation(async ({ input, ctx }) => {
    requireOwnClientId(ctx, input.clientId);
    const version = await ctx.run(ctx.services.history.restore(input.id, input.version, input.clientId), {
      procedure: 'history.restore',
      docId: input.id,
    });
    return { id: input.id, version };
  }),
});
