import type { AppRouter } from '@collab/client';
import type { Me } from '@collab/protocol';
import { createTRPCClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import WebSocket from 'ws';

/** How a test client presents itself: a browser session's cookie, a bearer token, a page's Origin. */
export interface Credentials {
  readonly cookie?: string;
  readonly token?: string;
  readonly origin?: string;
}

/** Starts a browser session the way the web app does: `session.me` over HTTP sets the cookie [A1]. */
export async function browserSession(
  httpUrl: string,
  headers: Record<string, string> = {},
): Promise<{ cookie: string; setCookie: string; me: Me }> {
  const response = await fetch(`${httpUrl}/trpc/session.me`, { headers });
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as { result: { data: Me } };
  return { cookie: setCookie.split(';')[0] ?? '', setCookie, me: body.result.data };
}

function headersOf(credentials: Credentials): Record<string, string> {
  return {
    ...(credentials.cookie ? { cookie: credentials.cookie } : {}),
    ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
    ...(credentials.origin ? { origin: credentials.origin } : {}),
  };
}

/** The typed API over one WebSocket whose upgrade carries `credentials` (the token as connection params). */
export function wsApiAs(url: string, credentials: Credentials = {}) {
  const headers = headersOf({ ...credentials, token: undefined });
  class CredentialedSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createWSClient({
    url,
    WebSocket: CredentialedSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 100,
    ...(credentials.token ? { connectionParams: { token: credentials.token } } : {}),
  });
  const api = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
  return { api, close: () => client.close() };
}

/** The typed API over HTTP with `credentials` on every request. */
export function httpApiAs(httpUrl: string, credentials: Credentials = {}) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${httpUrl}/trpc`, headers: () => headersOf(credentials) })],
  });
}
