import { router } from '../trpc/init.js';
import { documentsRouter } from './documents.js';
import { exportRouter } from './export.js';
import { historyRouter } from './history.js';
import { presenceRouter } from './presence.js';

/** The public API (DESIGN.md §3): other TypeScript services import this type to call it. */
export const appRouter = router({
  documents: documentsRouter,
  presence: presenceRouter,
  history: historyRouter,
  export: exportRouter,
});

export type AppRouter = typeof appRouter;
