import type { IncomingMessage } from 'node:http';

/**
 * [A5] A browser request from another site names it in `Origin`: it is let through only when that origin
 * is the server's own (the `Host` it was sent to) or configured in `ALLOWED_ORIGINS`. Requests without
 * `Origin` come from programs, not from pages a user visits, and are left to their credentials.
 */
export function originAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return url.protocol === (cameOverTls(req) ? 'https:' : 'http:') && url.host === req.headers.host;
  } catch {
    return false;
  }
}

/** Whether the request came over TLS: directly, or as the proxy in front reports (X-Forwarded-Proto). */
export function cameOverTls(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  const proto = req.headers['x-forwarded-proto'];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim() === 'https';
}

/** Methods that change state; every other one only reads. */
export function isStateChanging(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

/** Headers every answer carries (pages get their full policy from the web app) [A5]. */
export const baseSecurityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
} as const;

/** [A5] With `ALLOWED_HOSTS` set, a request for any other host (a rebound DNS name) is not answered. */
export function hostAllowed(req: IncomingMessage, allowedHosts: readonly string[] | undefined): boolean {
  return allowedHosts === undefined || allowedHosts.includes((req.headers.host ?? '').toLowerCase());
}
