import type { Delta } from '@collab/ot';
import {
  type ChangesEvent,
  type CommittedOp,
  DocumentId,
  type DocumentSnapshot,
  type PresenceEvent,
  type PresenceUpdateInput,
  type SubmitInput,
} from '@collab/protocol';
import { strictFake } from '@collab/server/testing';
import type { Api } from '../../src/api.js';
import type { CollabError } from '../../src/errors.js';
import {
  ClientSession,
  type ClientSessionOptions,
  type DocumentStatus,
  type RemotePresence,
  type ResetNotice,
  type SessionTransport,
} from '../../src/session.js';

export interface ChangesSubscription {
  readonly input: { id: string; key?: string; sinceVersion: number };
  readonly handlers: {
    onStarted(): void;
    onData(event: { id: string; data: ChangesEvent }): void;
    onError(error: unknown): void;
  };
  closed: boolean;
}
export interface PresenceSubscription {
  readonly input: { id: string; key?: string; clientId: string };
  readonly handlers: { onData(data: { events: PresenceEvent[] }): void; onError(error: unknown): void };
  closed: boolean;
}
export interface Pending<I, O> {
  readonly input: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export const clientId = 'me';
export const docId = DocumentId.parse('doc');

/**
 * The server as a document session sees it, driven step by step by the test: what the session sends is
 * recorded, and the test decides what comes back and when. Anything else the session touches fails loudly.
 */
export function fakeServer(snapshot: DocumentSnapshot, options?: ClientSessionOptions) {
  const changes: ChangesSubscription[] = [];
  const presenceStreams: PresenceSubscription[] = [];
  const submits: Pending<SubmitInput, { version: number }>[] = [];
  const gets: Pending<{ id: string; key?: string }, DocumentSnapshot>[] = [];
  const presenceUpdates: Pending<PresenceUpdateInput, void>[] = [];
  const connectionListeners = new Set<(open: boolean, closeCode?: number) => void>();
  let open = true;
  const pending =
    <I, O>(list: Pending<I, O>[]) =>
    (input: I) =>
      new Promise<O>((resolve, reject) => list.push({ input, resolve, reject }));
  const subscribe =
    <S extends { input: unknown; handlers: unknown; closed: boolean }>(list: S[]) =>
    (input: S['input'], handlers: S['handlers']) => {
      const subscription = { input, handlers, closed: false } as S;
      list.push(subscription);
      return {
        unsubscribe: () => {
          subscription.closed = true;
        },
      };
    };
  const api = strictFake<Api>('api', {
    documents: strictFake<Api['documents']>('api.documents', {
      changes: strictFake<Api['documents']['changes']>('api.documents.changes', {
        subscribe: subscribe(changes) as never,
      }),
      submit: strictFake<Api['documents']['submit']>('api.documents.submit', {
        mutate: pending(submits) as never,
      }),
      get: strictFake<Api['documents']['get']>('api.documents.get', { query: pending(gets) as never }),
    }),
    presence: strictFake<Api['presence']>('api.presence', {
      stream: strictFake<Api['presence']['stream']>('api.presence.stream', {
        subscribe: subscribe(presenceStreams) as never,
      }),
      update: strictFake<Api['presence']['update']>('api.presence.update', {
        mutate: pending(presenceUpdates) as never,
      }),
    }),
  });
  const transport: SessionTransport = {
    api,
    clientId,
    isOpen: () => open,
    onConnection: (listener) => {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };
  const session = new ClientSession(transport, snapshot, options);
  const seen = {
    changes: [] as Delta[],
    resets: [] as Delta[],
    notices: [] as ResetNotice[],
    errors: [] as CollabError[],
    statuses: [] as DocumentStatus[],
    presence: [] as (readonly RemotePresence[])[],
  };
  session.on('change', (delta) => seen.changes.push(delta));
  session.on('reset', (contents, notice) => {
    seen.resets.push(contents);
    seen.notices.push(notice);
  });
  session.on('error', (error) => seen.errors.push(error));
  session.on('status', (status) => seen.statuses.push(status));
  session.on('presence', (others) => seen.presence.push(others));

  return {
    session,
    seen,
    changes,
    presenceStreams,
    submits,
    gets,
    presenceUpdates,
    /** The subscription in use: the last one opened. */
    stream: () => {
      const last = changes.at(-1);
      if (!last || last.closed) throw new Error('the session follows no change stream');
      return last;
    },
    deliver: (...ops: CommittedOp[]) => changes.at(-1)?.handlers.onData({ id: '', data: { ops } }),
    /** Presence events from the server's presence stream. */
    presenceEvents: (...events: PresenceEvent[]) => presenceStreams.at(-1)?.handlers.onData({ events }),
    /** Whether the session still listens to the socket's open/close. */
    listensToConnection: () => connectionListeners.size > 0,
    setConnection(isOpen: boolean, closeCode?: number) {
      open = isOpen;
      for (const listener of connectionListeners) listener(isOpen, closeCode);
    },
  };
}

export const text = (session: ClientSession) =>
  session.contents.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
export const settle = () => new Promise((resolve) => setImmediate(resolve));
export const remote = (version: number, delta: Delta, author = 'other', seq = 0): CommittedOp => ({
  version,
  delta: { ops: delta.ops as CommittedOp['delta']['ops'] },
  clientId: author,
  seq,
});
export const own = (version: number, submitted: SubmitInput): CommittedOp => ({
  version,
  delta: submitted.delta,
  clientId,
  seq: submitted.seq,
});

/** A session on `hello\n` at version 0, following its change stream. */
export function started(options?: ClientSessionOptions) {
  const server = fakeServer({ id: docId, version: 0, delta: { ops: [{ insert: 'hello\n' }] } }, options);
  server.stream().handlers.onStarted();
  return server;
}
