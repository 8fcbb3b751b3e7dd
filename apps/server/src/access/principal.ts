/**
 * Who a request or connection acts for [A1], as established by the server: a browser session (cookie),
 * a user of the deployment's identity provider (verified JWT), a service (API key), or nobody in
 * particular (the anonymous principal of the seed's REST routes and legacy socket, and of tRPC clients
 * that bring no credentials) [A8].
 */
export interface Principal {
  readonly kind: 'session' | 'user' | 'service' | 'anonymous';
  /** Public and not secret: the prefix of every clientId the principal may use [A4]. */
  readonly authorId: string;
  readonly name: string | null;
  readonly color: string | null;
  /** The hash of a browser session's secret, to save its profile. */
  readonly sessionHash?: string;
}

export const anonymous: Principal = { kind: 'anonymous', authorId: 'anon', name: null, color: null };
