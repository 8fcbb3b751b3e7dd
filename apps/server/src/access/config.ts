import { GeneralAccess } from '@collab/protocol';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const origin = z.string().transform((value, context) => {
  try {
    const url = new URL(value);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '')) {
      return url.origin;
    }
  } catch {}
  context.addIssue({ code: 'custom', message: `"${value}" is not an origin like https://example.com` });
  return z.NEVER;
});

/** `name:sha256hex` pairs, comma-separated: the server keeps only the hash of each key [A1]. */
const apiKeys = z.string().transform((value, context) => {
  const keys = new Map<string, string>();
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9_-]{1,32}):([0-9a-fA-F]{64})$/.exec(entry);
    if (!match) {
      context.addIssue({ code: 'custom', message: 'each entry must be name:sha256hex (64 hex digits)' });
      return z.NEVER;
    }
    keys.set((match[2] as string).toLowerCase(), match[1] as string);
  }
  return keys;
});

const AccessEnv = z.object({
  /** Origins (besides the server's own) allowed to open sockets and send writes; also granted CORS [A5]. */
  ALLOWED_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(origin))
    .default([]),
  /** Host names (with port when not the default) the server answers to; unset: any (DNS rebinding guard) [A5]. */
  ALLOWED_HOSTS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.string().regex(/^[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:]+\](?::\d{1,5})?$/, {
          error: 'must be host or host:port names',
        }),
      ),
    )
    .optional(),
  /** CSP `frame-ancestors`; `'none'` also sends `X-Frame-Options: DENY` [A5]. */
  FRAME_ANCESTORS: z
    .string()
    .regex(/^[^;,\r\n]+$/, { error: 'must be a list of CSP sources' })
    .default("'none'"),
  /** The seed's REST routes and legacy socket act for the anonymous principal [A8]. */
  COMPAT_ACCESS: flag.default(true),
  /** General access of documents created by signed-in principals [A8]. */
  DEFAULT_GENERAL_ACCESS: GeneralAccess.default('edit'),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_JWKS_URL: z.url({ error: 'must be a URL' }).optional(),
  JWT_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  API_KEYS: apiKeys.optional(),
});

export interface AccessConfig {
  readonly allowedOrigins: readonly string[];
  /** Undefined: every `Host` is answered. */
  readonly allowedHosts: readonly string[] | undefined;
  readonly frameAncestors: string;
  readonly compatAccess: boolean;
  readonly defaultGeneralAccess: GeneralAccess;
  /** Verification of bearer JWTs, when the deployment has an identity provider. */
  readonly jwt:
    | {
        readonly issuer: string;
        readonly audience: string;
        readonly key: { readonly jwksUrl: string } | { readonly secret: string };
      }
    | undefined;
  /** sha256 hex of each API key → its name. */
  readonly apiKeys: ReadonlyMap<string, string>;
}

export const accessEnvSchema = AccessEnv;

/** The access settings of an already validated environment; throws a message naming the variable. */
export function accessConfigFrom(env: z.infer<typeof AccessEnv>): AccessConfig {
  const jwtConfigured = env.JWT_ISSUER || env.JWT_AUDIENCE || env.JWT_JWKS_URL || env.JWT_SECRET;
  let jwt: AccessConfig['jwt'];
  if (jwtConfigured) {
    if (!env.JWT_ISSUER || !env.JWT_AUDIENCE) {
      throw new Error('JWT_ISSUER and JWT_AUDIENCE are both required to verify tokens');
    }
    if (Boolean(env.JWT_JWKS_URL) === Boolean(env.JWT_SECRET)) {
      throw new Error('set exactly one of JWT_JWKS_URL and JWT_SECRET');
    }
    jwt = {
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      key: env.JWT_JWKS_URL ? { jwksUrl: env.JWT_JWKS_URL } : { secret: env.JWT_SECRET as string },
    };
  }
  return {
    allowedOrigins: env.ALLOWED_ORIGINS,
    allowedHosts: env.ALLOWED_HOSTS,
    frameAncestors: env.FRAME_ANCESTORS,
    compatAccess: env.COMPAT_ACCESS,
    defaultGeneralAccess: env.DEFAULT_GENERAL_ACCESS,
    jwt,
    apiKeys: env.API_KEYS ?? new Map(),
  };
}
