import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCollabClient } from '@collab/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpApiAs, wsApiAs } from '../support/principals.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';
import { failureOf } from '../support/trpc.js';

const issuer = 'https://id.test.example';
const audience = 'collab-editor';
const apiKey = randomBytes(24).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('[A1] identity provider tokens (JWKS) and service API keys', () => {
  let server: SqliteServer;
  let jwks: Server;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;

  const token = (claims: Record<string, unknown>, key = privateKey, expires = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    server = await startSqliteServer({
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience,
      JWT_JWKS_URL: jwksUrl,
      API_KEYS: `indexer:${sha256(apiKey)}`,
    });
  });
  afterAll(async () => {
    await server?.stopAndRemove();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it('[A1] a verified JWT is a user principal, the same one on every transport', async () => {
    const jwt = await token({ sub: 'user-42', name: 'Grace' });
    const http = await httpApiAs(server.httpUrl, { token: jwt }).session.me.query();
    expect(http).toMatchObject({ kind: 'user', name: 'Grace' });
    expect(http.authorId).toMatch(/^u-/);
    const socket = wsApiAs(server.wsUrl, { token: jwt });
    expect(await socket.api.session.me.query()).toEqual(http);
    socket.close();
  });

  it('[A1] a token signed with another key, expired, or for another audience is UNAUTHORIZED and changes nothing', async () => {
    const bad = [
      await token({ sub: 'user-42' }, otherKey),
      await token({ sub: 'user-42' }, privateKey, '-1m'),
      await new SignJWT({ sub: 'user-42' })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(issuer)
        .setAudience('someone-else')
        .setExpirationTime('5m')
        .sign(privateKey),
      'not-a-token',
    ];
    for (const given of bad) {
      const api = httpApiAs(server.httpUrl, { token: given });
      expect(await failureOf(api.documents.create.mutate({ id: 'never-made' }))).toMatchObject({
        code: 'UNAUTHORIZED',
        tag: 'Unauthorized',
        httpStatus: 401,
      });
    }
    const rest = await fetch(`${server.httpUrl}/api/database/documents/get/never-made`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(rest.status).toBe(401);
    expect((await fetch(`${server.httpUrl}/api/database/documents/get/never-made`)).status).toBe(404);
  });

  it("[A1] createCollabClient({ token }) acts for the API key's service and owns what it creates", async () => {
    const client = createCollabClient({ url: server.wsUrl, WebSocket, token: apiKey });
    const me = await client.me();
    expect(me).toMatchObject({ kind: 'service', authorId: 'k-indexer', name: 'indexer' });
    const doc = await client.openDocument('service-doc');
    expect(client.clientId.startsWith('k-indexer.')).toBe(true);
    expect(await client.api.access.get.query({ id: 'service-doc' })).toMatchObject({ role: 'owner' });
    doc.close();
    client.close();
    // REST with the key as a bearer token acts for the same service.
    const rest = await fetch(`${server.httpUrl}/api/database/documents/get/service-doc`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(rest.status).toBe(200);
    const wrong = await fetch(`${server.httpUrl}/api/database/documents/get/service-doc`, {
      headers: { authorization: `Bearer ${apiKey}x` },
    });
    expect(wrong.status).toBe(401);
  });
});

describe('[A1] identity provider with a shared secret', () => {
  let server: SqliteServer;
  const secret = randomBytes(32).toString('hex');
  beforeAll(async () => {
    server = await startSqliteServer({ JWT_ISSUER: issuer, JWT_AUDIENCE: audience, JWT_SECRET: secret });
  });
  afterAll(async () => {
    await server?.stopAndRemove();
  });

  it('[A1] HS256 tokens signed with the configured secret are accepted; others are not', async () => {
    const sign = (key: string) =>
      new SignJWT({ sub: 'svc' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(key));
    expect(await httpApiAs(server.httpUrl, { token: await sign(secret) }).session.me.query()).toMatchObject({
      kind: 'user',
    });
    expect(
      await failureOf(httpApiAs(server.httpUrl, { token: await sign(`${secret}x`) }).session.me.query()),
    ).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
