import type { IncomingMessage } from 'node:http';
import parseForwarded from 'forwarded-parse';
import proxyAddr from 'proxy-addr';

/** Decides whether the hop at `address` (the `hop`-th from the server) is a trusted proxy. */
export type ProxyTrust = (address: string, hop: number) => boolean;

export function compileTrust(proxies: readonly string[]): ProxyTrust {
  return proxies.length === 0 ? () => false : proxyAddr.compile([...proxies]);
}

/** `for=` of an RFC 7239 element, without the brackets and port of `"[2001:db8::1]:4711"` or `"1.2.3.4:80"`. */
function forwardedFor(value: string): string {
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'));
  const colons = value.split(':').length - 1;
  return colons === 1 ? value.slice(0, value.indexOf(':')) : value;
}

/** The addresses the proxies appended, client first: from `Forwarded` when present, else `X-Forwarded-For`. */
function forwardedChain(req: IncomingMessage): string[] {
  const forwarded = req.headers.forwarded;
  if (forwarded) {
    try {
      return parseForwarded(forwarded).map((element) => forwardedFor(element.for ?? 'unknown'));
    } catch {
      // A malformed header names nobody: the address is the last hop that is not a trusted proxy.
      return ['unknown'];
    }
  }
  const header = req.headers['x-forwarded-for'];
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * [A6] The client's address: the socket's peer, unless that is a trusted proxy; then the forwarding
 * headers are read from the right (the hop nearest the server), skipping trusted proxies, and the first
 * address that is not one is the client. Headers from anyone else are ignored, so they cannot be spoofed.
 */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust): string {
  let address = req.socket.remoteAddress ?? 'unknown';
  if (!trust(address, 0)) return address;
  const chain = forwardedChain(req);
  for (let hop = 1; chain.length > 0; hop++) {
    address = chain.pop() as string;
    if (!trust(address, hop)) return address;
  }
  return address;
}
