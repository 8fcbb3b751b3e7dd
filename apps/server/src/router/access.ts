import { AccessRef, LinkInput, SetGeneralAccessInput } from '@collab/protocol';
import { publicProcedure, router, writeProcedure } from '../trpc/init.js';

/** Sharing [A2]: everyone with access learns their role; only the owner sees and changes the settings. */
export const accessRouter = router({
  get: publicProcedure.input(AccessRef).query(({ input, ctx }) =>
    ctx.run(ctx.services.access.info(ctx.principal, input.id, input.key), {
      procedure: 'access.get',
      docId: input.id,
    }),
  ),

  setGeneralAccess: writeProcedure.input(SetGeneralAccessInput).mutation(({ input, ctx }) =>
    ctx.run(ctx.services.access.setGeneralAccess(ctx.principal, input.id, input.generalAccess), {
      procedure: 'access.setGeneralAccess',
      docId: input.id,
    }),
  ),

  /** A new key for the view or edit link; the old key stops working (its live streams end) [A3]. */
  rotateLink: writeProcedure.input(LinkInput).mutation(({ input, ctx }) =>
    ctx.run(ctx.services.access.changeLink(ctx.principal, input.id, input.role, 'rotate'), {
      procedure: 'access.rotateLink',
      docId: input.id,
    }),
  ),

  revokeLink: writeProcedure.input(LinkInput).mutation(({ input, ctx }) =>
    ctx.run(ctx.services.access.changeLink(ctx.principal, input.id, input.role, 'revoke'), {
      procedure: 'access.revokeLink',
      docId: input.id,
    }),
  ),
});
