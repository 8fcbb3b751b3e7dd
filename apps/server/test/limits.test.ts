import type { IncomingMessage } from 'node:http';
import { limitDefaults } from '@collab/protocol';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { describe, expect, it } from 'vitest';
import { clientAddress, compileTrust } from '../src/limits/clientAddress.js';
import { boundsFromEnv, quotaKeyOf } from '../src/limits/index.js';
import { KeyedBuckets } from '../src/limits/KeyedBuckets.js';
import { Quotas } from '../src/limits/Quotas.js';
import type { TrpcContext } from '../src/trpc/context.js';
import { publicProcedure, router } from '../src/trpc/init.js';

function request(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('[A6] the client address', () => {
  it('[A6] without TRUST_PROXY, forwarding headers are ignored', () => {
    const trust = compileTrust([]);
    const req = request('203.0.113.5', { 'x-forwarded-for': '198.51.100.1', forwarded: 'for=198.51.100.2' });
    expect(clientAddress(req, trust)).toBe('203.0.113.5');
  });

  it('[A6] from a trusted proxy, the rightmost address that is not a trusted proxy is the client', () => {
    const trust = compileTrust(['10.0.0.0/8']);
    expect(clientAddress(request('10.0.0.2', { 'x-forwarded-for': '192.0.2.66, 198.51.100.1' }), trust)).toBe(
      '198.51.100.1',
    );
    expect(
      clientAddress(request('10.0.0.2', { 'x-forwarded-for': '198.51.100.1, 10.0.0.7' }), trust),
      'a chain of trusted proxies is skipped',
    ).toBe('198.51.100.1');
    expect(
      clientAddress(request('10.0.0.2', { forwarded: 'for="[2001:db8::1]:4711", for=10.0.0.9' }), trust),
    ).toBe('2001:db8::1');
    expect(
      clientAddress(request('10.0.0.2', { forwarded: 'for="198.51.100.3:80";proto=https' }), trust),
    ).toBe('198.51.100.3');
    expect(clientAddress(request('10.0.0.2', { forwarded: 'for=?;;' }), trust), 'a malformed header').toBe(
      'unknown',
    );
    expect(clientAddress(request('10.0.0.2'), trust), 'no header: the proxy itself').toBe('10.0.0.2');
  });

  it('[A6] IPv4 peers seen as IPv4-mapped IPv6 match IPv4 ranges', () => {
    const trust = compileTrust(['127.0.0.1']);
    expect(clientAddress(request('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.4' }), trust)).toBe(
      '198.51.100.4',
    );
  });
});

describe('[L3] rate-limit state is bounded', () => {
  it('[L3] keyed buckets keep at most maxKeys keys, the least recently used going first', () => {
    const buckets = new KeyedBuckets({ perSecond: 1, burst: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) buckets.take(`address-${i}`);
    expect(buckets.size).toBe(100);
    expect(buckets.take('address-9999'), 'a recent key keeps its spent bucket').toBeGreaterThan(0);
    expect(buckets.take('address-0'), 'an evicted key starts afresh').toBe(0);
  });

  it('[L3] creation quotas: per principal and per address per minute, and documents per principal per day', () => {
    const settings = {
      ...boundsFromEnv({}),
      maxCreatesPerMinute: 2,
      maxCreatesPerMinutePerAddress: 3,
      maxDocumentsPerPrincipal: 4,
    };
    const quotas = new Quotas(settings);
    expect(quotas.admitCreation('p1', 'a', 10)).toBeUndefined();
    expect(quotas.admitCreation('p1', 'a', 10)).toBeUndefined();
    expect(quotas.admitCreation('p1', 'a', 10)?.retryAfterMs).toBeGreaterThan(0);
    expect(quotas.admitCreation('p2', 'a', 10)).toBeUndefined();
    expect(quotas.admitCreation('p3', 'a', 10)?.message, 'the address is spent').toMatch(/address/);
  });
});

describe('[L3] [A1] whose quota a request spends', () => {
  it('[L3] [A1] a principal the server established spends its own quota wherever it connects from; anonymous callers share one per address', () => {
    const ada = { kind: 'session', authorId: 's-ada' };
    expect(quotaKeyOf(ada, '198.51.100.1')).toBe(quotaKeyOf(ada, '203.0.113.5'));
    expect(quotaKeyOf(ada, '198.51.100.1')).not.toBe(
      quotaKeyOf({ kind: 'session', authorId: 's-bob' }, '198.51.100.1'),
    );
    const anonymous = { kind: 'anonymous', authorId: 'anon' };
    expect(quotaKeyOf(anonymous, '198.51.100.1')).not.toBe(quotaKeyOf(anonymous, '203.0.113.5'));
    expect(quotaKeyOf(anonymous, '198.51.100.1')).not.toBe(quotaKeyOf(ada, '198.51.100.1'));
  });
});

describe('[L2] [L4] internal errors never surface their message', () => {
  it('[L4] an unexpected exception ("Invalid string length") is answered INTERNAL_SERVER_ERROR with a generic message', async () => {
    const testRouter = router({
      boom: publicProcedure.query(() => {
        throw new RangeError('Invalid string length');
      }),
    });
    const response = await fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request('http://localhost/trpc/boom'),
      router: testRouter,
      createContext: () => ({ limits: { ...limitDefaults } }) as unknown as TrpcContext,
    });
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).not.toMatch(/Invalid string length|RangeError/);
    expect(JSON.parse(text)).toMatchObject({
      error: { message: 'Internal server error', data: { code: 'INTERNAL_SERVER_ERROR', tag: 'Internal' } },
    });
  });
});
