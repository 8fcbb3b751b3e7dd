import type { AppRouter } from '@collab/server/router';
import type { TRPCClient } from '@trpc/client';

/** The typed tRPC client of the collaboration API (docs/SPEC.md §3). */
export type Api = TRPCClient<AppRouter>;
export type { AppRouter };
