import { describeIssues, type ErrorTag, type Issue, isErrorTag, nestingDepth } from '@collab/protocol';
import { initTRPC } from '@trpc/server';
import { InvalidInput, LimitExceeded, RateLimited } from '../domain/errors.js';
import { requireDocumentRole } from './access.js';
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
      ? `Invalid input: ${describeIssues(issues as Issue[])}`
      : error.code === 'PAYLOAD_TOO_LARGE' && shape.message === 'PAYLOAD_TOO_LARGE'
        ? 'The request is larger than the server accepts'
        : shape.message;
    return { ...shape, message, data: { ...data, ...(tag ? { tag } : {}) } };
  },
});

/** Failures raised by tRPC itself (body too large, malformed JSON) map to a catalogue tag by code. */
export const tagByCode: Partial<Record<string, ErrorTag>> = {
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

/** Every procedure: inputs measured first; acts for the context's principal [A1]. */
export const publicProcedure = t.procedure.use(inputGuard);

/** Procedures that change state: they also spend the connection's op budget (DESIGN.md §7). */
export const writeProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.connection.takeToken()) {
    throw toTrpcError(new RateLimited({ message: 'Too many operations on this connection; slow down' }));
  }
  return next();
});

/** Procedures that read a document: the caller is at least a viewer of it, or it is NOT_FOUND [A3]. */
export const viewerProcedure = publicProcedure.use(async ({ ctx, next, getRawInput }) => {
  await requireDocumentRole(ctx, await getRawInput(), 'viewer');
  return next();
});

/** Procedures that change a document: the caller is at least an editor (FORBIDDEN for a viewer) [A3]. */
export const editorProcedure = writeProcedure.use(async ({ ctx, next, getRawInput }) => {
  await requireDocumentRole(ctx, await getRawInput(), 'editor');
  return next();
});
