import { createHash } from 'node:crypto';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { AccessConfig } from './config.js';
import type { Principal } from './principal.js';

/**
 * Bearer credentials [A1]: a service API key (compared by its SHA-256 with the configured hashes) or,
 * when the deployment configures an identity provider, a JWT verified against its issuer, audience and
 * keys (JWKS URL or shared secret). Anything else is refused, never read as anonymous.
 */
export function bearerVerifier(config: AccessConfig) {
  const jwt = config.jwt;
  let keys: JWTVerifyGetKey | Uint8Array | undefined;
  if (jwt) {
    keys =
      'jwksUrl' in jwt.key
        ? createRemoteJWKSet(new URL(jwt.key.jwksUrl), { cooldownDuration: 30_000 })
        : new TextEncoder().encode(jwt.key.secret);
  }

  const userOf = async (token: string): Promise<Principal | undefined> => {
    if (!jwt || !keys) return undefined;
    try {
      const { payload } = await jwtVerify(token, keys as JWTVerifyGetKey, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: 'jwksUrl' in jwt.key ? ['RS256', 'ES256', 'EdDSA', 'PS256'] : ['HS256', 'HS384', 'HS512'],
        requiredClaims: ['sub', 'exp'],
      });
      const subject = `${payload.iss}|${payload.sub}`;
      const name = typeof payload.name === 'string' ? payload.name.trim().slice(0, 64) || null : null;
      return {
        kind: 'user',
        authorId: `u-${createHash('sha256').update(subject).digest('base64url').slice(0, 20)}`,
        name,
        color: null,
      };
    } catch {
      return undefined;
    }
  };

  return {
    /** The principal a bearer token proves, or undefined when it proves none. */
    async verify(token: string): Promise<Principal | undefined> {
      const name = config.apiKeys.get(createHash('sha256').update(token).digest('hex'));
      if (name !== undefined) return { kind: 'service', authorId: `k-${name}`, name, color: null };
      return token.split('.').length === 3 ? userOf(token) : undefined;
    },
  };
}

/** The token of `Authorization: Bearer <token>`, if any. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
