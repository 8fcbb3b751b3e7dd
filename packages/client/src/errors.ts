import { type ErrorTag, isErrorTag } from '@collab/protocol';
import { TRPCClientError } from '@trpc/client';

/** A failure the server answered (tag from the protocol's error catalogue) or a lost connection. */
export class CollabError extends Error {
  override readonly name = 'CollabError';
  constructor(
    /** The catalogue tag, or `Disconnected` when the server could not be reached. */
    readonly tag: ErrorTag | 'Disconnected',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when retrying later may succeed (connection lost, rate limited, server busy). */
  get retryable(): boolean {
    return this.tag === 'Disconnected' || this.tag === 'RateLimited' || this.tag === 'Unavailable';
  }
}

/** Normalises anything a tRPC call rejects with. */
export function toCollabError(error: unknown): CollabError {
  if (error instanceof CollabError) return error;
  if (error instanceof TRPCClientError) {
    const tag = (error.data as { tag?: unknown } | undefined)?.tag;
    if (isErrorTag(tag)) return new CollabError(tag, error.message, { cause: error });
    const code = (error.data as { code?: unknown } | undefined)?.code;
    if (code === undefined)
      return new CollabError('Disconnected', 'The server cannot be reached', { cause: error });
    return new CollabError('Internal', error.message, { cause: error });
  }
  return new CollabError('Disconnected', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
