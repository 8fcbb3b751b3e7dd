import { isErrorTag } from '@collab/protocol';
import { initTRPC, TRPCError } from '@trpc/server';
import { RateLimited } from '../domain/errors.js';
import type { TrpcContext } from './context.js';
import { toTrpcError } from './run.js';

/**
 * The tRPC instance: no transformer (plain JSON, so any client can speak it), no stacks in answers, and
 * `data.tag` naming the catalogue entry of every expected failure.
 */
const t = initTRPC.context<TrpcContext>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause as { _tag?: unknown } | undefined;
    const tag = isErrorTag(cause?._tag)
      ? cause._tag
      : error.code === 'BAD_REQUEST'
        ? 'InvalidInput'
        : undefined;
    const { stack: _stack, path: _path, ...data } = shape.data;
    const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
    const message = Array.isArray(issues) ? describeIssues(issues) : shape.message;
    return { ...shape, message, data: { ...data, ...(tag ? { tag } : {}) } };
  },
});

/** Input validation failures as one readable line: `delta.ops.0.insert: expected string`. */
function describeIssues(issues: readonly unknown[]): string {
  const lines = issues.slice(0, 5).map((issue) => {
    const { path, message } = issue as { path?: readonly PropertyKey[]; message?: string };
    const where = path && path.length > 0 ? `${path.map(String).join('.')}: ` : '';
    return `${where}${message ?? 'invalid value'}`;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `Invalid input: ${lines.join('; ')}${more}`;
}

export const router = t.router;
export const mergeRouters = t.mergeRouters;

/** Every procedure: anonymous access (no accounts yet). */
export const publicProcedure = t.procedure;

/** Procedures that change state: they spend the connection's op budget (DESIGN.md §7). */
export const writeProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.connection.takeToken()) {
    throw toTrpcError(new RateLimited({ message: 'Too many operations on this connection; slow down' }));
  }
  return next();
});

export { TRPCError };
