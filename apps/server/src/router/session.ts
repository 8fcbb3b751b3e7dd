import { type Me, ProfileInput } from '@collab/protocol';
import type { Principal } from '../access/principal.js';
import { publicProcedure, router, writeProcedure } from '../trpc/init.js';

const meOf = (principal: Principal): Me => ({
  authorId: principal.authorId,
  kind: principal.kind,
  name: principal.name,
  color: principal.color,
});

export const sessionRouter = router({
  /**
   * [A1] who the server says the caller is: clientIds are `${authorId}.${anything}` [A4]. Over HTTP, a
   * browser without a session gets one here (its cookie is set on the answer), before it opens its socket.
   */
  me: publicProcedure.query(async ({ ctx }) => {
    if (ctx.principal.kind !== 'anonymous' || !ctx.response) return meOf(ctx.principal);
    const { request, response } = ctx;
    return meOf(
      await ctx.run(ctx.services.access.authenticateOrIssue(request, response), { procedure: 'session.me' }),
    );
  }),

  /** The display name and colour of a browser session, asked once and kept on the server [A1]. */
  setProfile: writeProcedure.input(ProfileInput).mutation(async ({ input, ctx }) =>
    meOf(
      await ctx.run(ctx.services.access.saveProfile(ctx.principal, input), {
        procedure: 'session.setProfile',
      }),
    ),
  ),
});
