import type { AppRouter } from '@collab/client';
import type { CommittedOp } from '@collab/protocol';
import { createTRPCClient, createWSClient, httpLink, TRPCClientError, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import { waitFor } from './editing.js';

/** The raw typed API over one WebSocket, with its socket client (to close it, or watch it close). */
export function wsApi(url: string, options: { onClose?: (cause?: { code?: number }) => void } = {}) {
  const client = createWSClient({
    url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 100,
    ...(options.onClose ? { onClose: options.onClose } : {}),
  });
  const api = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
  return { api, close: () => client.close() };
}

/** The raw typed API over plain HTTP requests (one request per call). */
export function httpApi(httpUrl: string) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${httpUrl}/trpc` })] });
}

export type Api = ReturnType<typeof httpApi>;

/** What a failed call carried: the tRPC code, the catalogue tag and the message. */
export interface CallError {
  readonly code: string | undefined;
  readonly tag: string | undefined;
  readonly httpStatus: number | undefined;
  readonly message: string;
}

export function callError(error: unknown): CallError {
  if (!(error instanceof TRPCClientError)) throw error;
  const data = error.data as { code?: string; tag?: string; httpStatus?: number } | undefined;
  return { code: data?.code, tag: data?.tag, httpStatus: data?.httpStatus, message: error.message };
}

/** Resolves with the error a call failed with; fails the test when the call succeeds. */
export async function failureOf(call: Promise<unknown>): Promise<CallError> {
  try {
    const value = await call;
    throw new Error(`expected the call to fail, it answered ${JSON.stringify(value)}`);
  } catch (error) {
    return callError(error);
  }
}

/** One `documents.changes` event as a subscriber received it. */
export interface ChangesEventSeen {
  readonly id: string | undefined;
  readonly ops: readonly CommittedOp[];
}

/** A `documents.changes` subscription that records every event, and the error that ended it, if any. */
export interface ChangesFeed {
  readonly events: ChangesEventSeen[];
  /** Every op received, in the order received. */
  ops(): CommittedOp[];
  readonly started: Promise<void>;
  error(): CallError | undefined;
  /** Resolves once an op of version `version` (or later) was received. */
  reach(version: number, timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

type ChangesInput = Parameters<Api['documents']['changes']['subscribe']>[0];

export function followChanges(api: Api, input: ChangesInput): ChangesFeed {
  const events: ChangesEventSeen[] = [];
  let failure: CallError | undefined;
  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  const subscription = api.documents.changes.subscribe(input, {
    onStarted: () => onStarted(),
    onData: ({ id, data }) => {
      events.push({ id, ops: data.ops });
    },
    onError: (error) => {
      failure = callError(error);
    },
  });
  const ops = () => events.flatMap((event) => event.ops);
  return {
    events,
    ops,
    started,
    error: () => failure,
    reach: (version, timeoutMs) =>
      waitFor(
        () => (ops().at(-1)?.version ?? 0) >= version || failure !== undefined,
        `an op of version ${version} in the change stream`,
        timeoutMs,
      ).then(() => {
        if (failure) throw new Error(`the change stream failed: ${failure.message}`);
      }),
    unsubscribe: () => subscription.unsubscribe(),
  };
}

/** Resolves once the subscription failed, with its error. */
export async function feedFailure(feed: ChangesFeed): Promise<CallError> {
  await waitFor(() => feed.error() !== undefined, 'the subscription to be refused');
  return feed.error() as CallError;
}

/** A raw HTTP answer of the tRPC endpoint, body kept as text so tests can search all of it. */
export interface RawAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
}

async function answer(response: Response): Promise<RawAnswer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** POSTs a body (an object is sent as JSON, a string as is) to a tRPC procedure. */
export async function rawMutation(httpUrl: string, procedure: string, body: unknown): Promise<RawAnswer> {
  const response = await fetch(`${httpUrl}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(response);
}

/** GETs a tRPC query with `input` as its JSON input. */
export async function rawQuery(httpUrl: string, procedure: string, input: unknown): Promise<RawAnswer> {
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return answer(await fetch(`${httpUrl}/trpc/${procedure}${query}`));
}

/** The tRPC error of a raw answer: `{ error: { message, data: { code, httpStatus, tag } } }`. */
export function rawError(raw: RawAnswer): CallError & { readonly data: Record<string, unknown> } {
  const error = (raw.json as { error?: { message?: string; data?: Record<string, unknown> } } | undefined)
    ?.error;
  if (!error) throw new Error(`expected an error answer, got ${raw.status}: ${raw.text.slice(0, 300)}`);
  const data = error.data ?? {};
  return {
    code: data.code as string | undefined,
    tag: data.tag as string | undefined,
    httpStatus: data.httpStatus as number | undefined,
    message: error.message ?? '',
    data,
  };
}

/**
 * Pieces of internals an answer must never carry (docs/SPEC.md §7): stack frames, file paths, source
 * positions, storage errors. Returns the ones found.
 */
export function leakedInternals(text: string): string[] {
  const markers: Array<[string, RegExp]> = [
    ['stack frame', /\bat (?:async )?[\w$.<>]+ \(|\n\s+at /],
    ['"at " text', /(?:^|[\s"])at [\w$.<>]+ ?\(/],
    ['file path', /(?:^|[\s"'(=])\/(?:[\w.@+-]+\/){2,}|node_modules|file:\/\//],
    ['source position', /\.(?:ts|js|mjs|cjs):\d+/],
    ['storage error', /sqlite|drizzle|dynamodb|constraint failed/i],
    ['SQL text', /\b(?:SELECT .+ FROM|INSERT INTO|UPDATE \S+ SET|DELETE FROM)\b/],
    ['stack field', /"stack"/],
  ];
  return markers.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}
