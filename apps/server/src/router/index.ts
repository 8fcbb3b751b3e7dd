import { router } from '../trpc/init.js';
import { accessRouter } from './access.js';
import { documentsRouter } from './documents.js';
import { homeRouter } from './home.js';
import { presenceRouter } from './presence.js';
import { sessionRouter } from './session.js';

/** The public API (DESIGN.md §3): other TypeScript services import this type to call it. */
export const appRouter = router({
  documents: documentsRouter,
  presence: presenceRouter,
  session: sessionRouter,
  access: accessRouter,
  home: homeRouter,
});

export type AppRouter = typeof appRouter;
