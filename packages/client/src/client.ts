import { type Me, reconnectDelayMs } from '@collab/protocol';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { Api } from './api.js';
import { toCollabError } from './errors.js';
import { ClientSession, type SessionTransport, type UnsavedEdits } from './session.js';

export interface CollabClientOptions {
  /** The tRPC WebSocket endpoint, e.g. `ws://localhost:8000/trpc` (in a browser: `wss://${location.host}/trpc`). */
  readonly url: string;
  /** A WebSocket implementation where there is no global one (Node 20: `import WebSocket from 'ws'`). */
  readonly WebSocket?: unknown;
  /**
   * A service API key or an identity provider's JWT [A1], sent when the socket opens (connection params).
   * Without one, a browser acts for its session cookie and a program for the anonymous principal.
   */
  readonly token?: string;
  /**
   * Names this client's ops across reconnects [C3]; it must start with the caller's `authorId` and a dot
   * [A4]. Default: `${authorId}.${random}`, with the authorId the server tells (`session.me`).
   */
  readonly clientId?: string;
  /** Delay before reconnect attempt `n` (default: exponential backoff from 250 ms to 5 s, with jitter). */
  readonly retryDelayMs?: (attempt: number) => number;
}

export interface CollabClient {
  /** The raw typed API, for calls the document sessions do not cover (create, update, history…). */
  readonly api: Api;
  /** This client's id; known once `me()` or `openDocument` has answered (empty before). */
  readonly clientId: string;
  /** Who the server says this client acts for (asked once). */
  me(): Promise<Me>;
  /**
   * Opens a document (creating it when `create` is true, the default) and follows its changes. `key` is
   * the share link key the document was shared with, if any. `restore`: edits an earlier session of this
   * clientId left unacknowledged (`unsavedEdits()`), sent now [C10].
   */
  openDocument(
    id: string,
    options?: { create?: boolean; key?: string; restore?: UnsavedEdits },
  ): Promise<ClientSession>;
  /** Closes every session and the socket. */
  close(): void;
}

/**
 * [C10] A quiet socket is pinged this often and given as long to answer: a connection lost without a close
 * (network gone, laptop asleep) shows as offline within about two seconds, not after the TCP timeouts.
 */
const heartbeatMs = 1_000;

function randomClientId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A client of the collaboration server over one WebSocket, usable in browsers and in Node. */
export function createCollabClient(options: CollabClientOptions): CollabClient {
  let clientId = '';
  const connectionListeners = new Set<(open: boolean, closeCode?: number) => void>();
  // Stryker disable next-line BooleanLiteral: no session exists before `me()` has answered on an open socket.
  let open = false;
  const setOpen = (value: boolean, closeCode?: number) => {
    if (open === value) return;
    open = value;
    for (const listener of [...connectionListeners]) listener(value, closeCode);
  };
  const wsClient = createWSClient({
    url: options.url,
    ...(options.WebSocket ? { WebSocket: options.WebSocket as typeof globalThis.WebSocket } : {}),
    retryDelayMs: options.retryDelayMs ?? reconnectDelayMs,
    keepAlive: { enabled: true, intervalMs: heartbeatMs, pongTimeoutMs: heartbeatMs },
    onOpen: () => setOpen(true),
    // Stryker disable next-line OptionalChaining: tRPC always passes the close event; its type says optional.
    onClose: (cause) => setOpen(false, cause?.code),
    ...(options.token !== undefined ? { connectionParams: { token: options.token } } : {}),
  });
  const api: Api = createTRPCClient({ links: [wsLink({ client: wsClient })] });
  const sessions = new Set<ClientSession>();
  /** Per document, the seq after those used by closed sessions: a reopened document never reuses one [C3]. */
  const nextSeqs = new Map<string, number>();

  let identity: Promise<Me> | undefined;
  const me = () => {
    identity ??= api.session.me.query().then(
      (answer) => {
        clientId = options.clientId ?? `${answer.authorId}.${randomClientId()}`;
        return answer;
      },
      (error: unknown) => {
        identity = undefined;
        throw toCollabError(error);
      },
    );
    return identity;
  };

  const transport: SessionTransport = {
    api,
    get clientId() {
      return clientId;
    },
    isOpen: () => open,
    onConnection: (listener) => {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };

  return {
    api,
    get clientId() {
      return clientId;
    },
    me,
    async openDocument(id, { create = true, key, restore } = {}) {
      await me();
      try {
        const ref = key === undefined ? { id } : { id, key };
        const snapshot = create
          ? await api.documents.getOrCreate.mutate(ref)
          : await api.documents.get.query(ref);
        const session = new ClientSession(transport, snapshot, {
          nextSeq: nextSeqs.get(id) ?? 0,
          restore,
          key,
        });
        sessions.add(session);
        const close = session.close.bind(session);
        session.close = () => {
          sessions.delete(session);
          nextSeqs.set(id, session.nextSeq);
          close();
        };
        return session;
      } catch (error) {
        throw toCollabError(error);
      }
    },
    close() {
      for (const session of [...sessions]) session.close();
      connectionListeners.clear();
      wsClient.close();
    },
  };
}
