import { AccessRef, HomeListInput, HomeRef, RenameInput } from '@collab/protocol';
import { publicProcedure, router, writeProcedure } from '../trpc/init.js';

/** The documents home [H3]: the caller's documents, titles, the trash. */
export const homeRouter = router({
  list: publicProcedure
    .input(HomeListInput)
    .query(({ input, ctx }) =>
      ctx.run(ctx.services.home.list(ctx.principal, input), { procedure: 'home.list' }),
    ),

  /** Opening a document puts it in the caller's home; answers its title and the caller's role. */
  open: writeProcedure.input(AccessRef).mutation(({ input, ctx }) =>
    ctx.run(ctx.services.home.open(ctx.principal, input.id, input.key), {
      procedure: 'home.open',
      docId: input.id,
    }),
  ),

  /** Editors may rename; an empty title goes back to the first line. */
  rename: writeProcedure.input(RenameInput).mutation(({ input, ctx }) =>
    ctx.run(ctx.services.home.rename(ctx.principal, input.id, input.key, input.title), {
      procedure: 'home.rename',
      docId: input.id,
    }),
  ),

  trash: writeProcedure
    .input(HomeRef)
    .mutation(({ input, ctx }) =>
      ctx.run(ctx.services.home.trash(ctx.principal, input.id), { procedure: 'home.trash', docId: input.id }),
    ),

  restore: writeProcedure.input(HomeRef).mutation(({ input, ctx }) =>
    ctx.run(ctx.services.home.restore(ctx.principal, input.id), {
      procedure: 'home.restore',
      docId: input.id,
    }),
  ),

  deleteForever: writeProcedure.input(HomeRef).mutation(({ input, ctx }) =>
    ctx.run(ctx.services.home.deleteForever(ctx.principal, input.id), {
      procedure: 'home.deleteForever',
      docId: input.id,
    }),
  ),
});
