import { type ErrorTag, isErrorTag, nestingDepth } from '@collab/protocol';
import { initTRPC } from '@trpc/server';
import { InvalidInput, LimitExceeded, RateLimited } from '../domain/errors.js';
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
    const tag = isErrorTag(cause?._tag) ? cause._tag : tagByCode[error.code];
    const { stack: _stack, path: _path, ...data } = shape.data;
    const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
    const message = Array.isArray(issues)
      ? describeIssues(issues as Issue[])
      : error.code === 'PAYLOAD_TOO_LARGE' && shape.message === 'PAYLOAD_TOO_LARGE'
        ? 'The request is larger than the server accepts'
        : shape.message;
    return { ...shape, message, data: { ...data, ...(tag ? { tag } : {}) } };
  },
});

interface Issue {
  readonly path?: readonly PropertyKey[];
  readonly message?: string;
  readonly code?: string;
  /** Zod's union issues: the issues of each branch that was tried. */
  readonly errors?: readonly (readonly Issue[])[];
}

/**
 * The most telling issue: for a union ("insert, retain or delete?") the branch that came closest (fewest
 * issues), so the message says what is wrong with the op, not only where. Paths join across levels.
 */
function explain(
  issue: Issue,
  prefix: readonly PropertyKey[] = [],
): { path: PropertyKey[]; message: string } {
  const path = [...prefix, ...(issue.path ?? [])];
  // A union with its own message (e.g. "an op must have one of insert, retain or delete") says it best.
  const generic = issue.message === undefined || issue.message === 'Invalid input';
  const branches =
    issue.code === 'invalid_union' && generic ? (issue.errors ?? []).filter((b) => b.length > 0) : [];
  if (branches.length > 0) {
    const closest = branches.reduce((best, branch) => (branch.length < best.length ? branch : best));
    const first = closest[0];
    if (first) return explain(first, path);
  }
  return { path, message: issue.message ?? 'invalid value' };
}

/** Input validation failures as one readable line: `delta.ops.0.retain: expected number, received string`. */
function describeIssues(issues: readonly Issue[]): string {
  const lines = issues.slice(0, 5).map((issue) => {
    const { path, message } = explain(issue);
    return path.length > 0 ? `${path.map(String).join('.')}: ${message}` : message;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `Invalid input: ${lines.join('; ')}${more}`;
}

/** Failures raised by tRPC itself (body too large, malformed JSON) map to a catalogue tag by code. */
const tagByCode: Partial<Record<string, ErrorTag>> = {
  BAD_REQUEST: 'InvalidInput',
  PARSE_ERROR: 'InvalidInput',
  PAYLOAD_TOO_LARGE: 'LimitExceeded',
};

export const router = t.router;

/**
 * Every input is measured before it is validated or touches state (DESIGN.md §7): its size against the
 * message limit (WebSocket frames are capped by the socket at twice that, so this answer can be given)
 * and its nesting depth.
 */
const inputGuard = t.middleware(async ({ ctx, next, getRawInput }) => {
  const raw = await getRawInput();
  const { maxMessageBytes, maxNestingDepth } = ctx.limits;
  if (nestingDepth(raw, maxNestingDepth + 1) > maxNestingDepth) {
    throw toTrpcError(
      new InvalidInput({ message: `Invalid input: nested deeper than ${maxNestingDepth} levels` }),
    );
  }
  if (raw !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(raw));
    if (bytes > maxMessageBytes) {
      throw toTrpcError(
        new LimitExceeded({
          message: `The request is ${bytes} bytes, over the limit of ${maxMessageBytes} bytes`,
        }),
      );
    }
  }
  return next();
});

/** Every procedure: anonymous access (no accounts yet), inputs measured first. */
export const publicProcedure = t.procedure.use(inputGuard);

/** Procedures that change state: they also spend the connection's op budget (DESIGN.md §7). */
export const writeProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.connection.takeToken()) {
    throw toTrpcError(new RateLimited({ message: 'Too many operations on this connection; slow down' }));
  }
  return next();
});
