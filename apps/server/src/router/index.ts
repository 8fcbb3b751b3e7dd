import { router } from '../trpc/init.js';
import { accessRouter } from './access.js';
import { documentsRouter } from './documents.js';
import { exportRouter } from './export.js';
import { historyRouter } from './history.js';
import { homeRouter } from './home.js';
import { presenceRouter } from './presence.js';
import { sessionRouter } from './session.js';

/** The public API (docs/SPEC.md §3): other TypeScript services import this type to call it. */
export const appRouter = router({
  documents: documentsRouter,
  presence: presenceRouter,
  session: sessionRouter,
  access: accessRouter,
  history: historyRouter,
  export: exportRouter,
  home: homeRouter,
});

export type AppRouter = typeof appRouter;
