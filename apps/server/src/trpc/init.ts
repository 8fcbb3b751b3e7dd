import {
  describeIssues,
  type ErrorTag,
  errorCatalogue,
  type Issue,
  isErrorTag,
  nestingDepth,
} from '@collab/protocol';
import { initTRPC } from '@trpc/server';
import { InvalidInput, LimitExceeded, RateLimited, TooManyConnections } from '../domain/errors.js';
import { connectionRetryAfterMs, retryAfterSeconds } from '../limits/index.js';
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
    const cause = error.cause as { _tag?: unknown; retryAfterMs?: unknown } | undefined;
    const tag = isErrorTag(cause?._tag) ? cause._tag : tagByCode[error.code];
    const { stack: _stack, path: _path, ...data } = shape.data;
    const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
    // [L2] [L4] an unexpected failure ("Invalid string length", a bug) is answered without its text.
    const message =
      error.code === 'INTERNAL_SERVER_ERROR'
        ? errorCatalogue.Internal.message
        : Array.isArray(issues)
          ? `Invalid input: ${describeIssues(issues as Issue[])}`
          : error.code === 'PAYLOAD_TOO_LARGE' && shape.message === 'PAYLOAD_TOO_LARGE'
            ? 'The request is larger than the server accepts'
            : shape.message;
    const retryAfter =
      typeof cause?.retryAfterMs === 'number' ? { retryAfter: retryAfterSeconds(cause.retryAfterMs) } : {};
    return { ...shape, message, data: { ...data, ...(tag ? { tag } : {}), ...retryAfter } };
  },
});

/** Failures raised by tRPC itself (body too large, malformed JSON) map to a catalogue tag by code. */
export const tagByCode: Partial<Record<string, ErrorTag>> = {
  BAD_REQUEST: 'InvalidInput',
  PARSE_ERROR: 'InvalidInput',
  PAYLOAD_TOO_LARGE: 'LimitExceeded',
  INTERNAL_SERVER_ERROR: 'Internal',
};

export const router = t.router;

/** Inputs larger than this (a large paste) let other requests run between their parse and validation [L1]. */
const largeInputBytes = 256 * 1024;

/**
 * Every input is measured before it is validated or touches state (docs/SPEC.md §7): its size against the
 * message limit (WebSocket frames are capped by the socket at twice that, so this answer can be given)
 * and its nesting depth.
 */
const inputGuard = t.middleware(async ({ ctx, next, getRawInput }) => {
  const raw = await getRawInput();
  const { maxMessageBytes, maxNestingDepth } = ctx.limits;
  // [L1] op count before any parsing or transform: validating a huge delta is itself the cost to avoid.
  const ops = (raw as { delta?: { ops?: unknown } } | undefined)?.delta?.ops;
  if (Array.isArray(ops) && ops.length > ctx.limits.maxDeltaOps) {
    throw toTrpcError(
      new LimitExceeded({
        message: `The delta has ${ops.length} ops, over the limit of ${ctx.limits.maxDeltaOps}`,
      }),
    );
  }
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
    // [L1] Parsing and measuring a large input took this turn; validating it waits for the next.
    if (bytes > largeInputBytes) await new Promise((resolve) => setImmediate(resolve));
  }
  return next();
});

/** Every procedure: inputs measured first; acts for the context's principal [A1]. */
export const publicProcedure = t.procedure.use(inputGuard);

/** Procedures that change state: they also spend the connection's op budget (docs/SPEC.md §7). */
export const writeProcedure = publicProcedure.use(({ ctx, next }) => {
  const retryAfterMs = ctx.connection.takeToken();
  if (retryAfterMs > 0) {
    throw toTrpcError(
      new RateLimited({ message: 'Too many operations on this connection; slow down', retryAfterMs }),
    );
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

/**
 * [L3] Counts a subscription against its connection's stream cap: the function that ends it, to call
 * when the stream ends.
 */
export function openStream(ctx: TrpcContext): () => void {
  // Opening a stream costs the server more than an op: it spends the op budget too.
  const retryAfterMs = ctx.connection.takeToken();
  if (retryAfterMs > 0) {
    throw toTrpcError(new RateLimited({ message: 'Too many streams opened; slow down', retryAfterMs }));
  }
  const close = ctx.connection.openStream();
  if (!close) {
    throw toTrpcError(
      new TooManyConnections({
        message: 'Too many streams are open on this connection; close some first',
        retryAfterMs: connectionRetryAfterMs,
      }),
    );
  }
  return close;
}
