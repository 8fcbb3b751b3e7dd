import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

const hash = 'ab'.repeat(32);

describe('access settings', () => {
  it('[A1] [A5] [A8] every access variable is read', () => {
    const { access } = parseConfig({
      ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173/',
      ALLOWED_HOSTS: 'Docs.Example, localhost:8000',
      FRAME_ANCESTORS: "'self' https://portal.example",
      COMPAT_ACCESS: 'false',
      DEFAULT_GENERAL_ACCESS: 'restricted',
      JWT_ISSUER: 'https://id.example',
      JWT_AUDIENCE: 'collab',
      JWT_JWKS_URL: 'https://id.example/jwks.json',
      API_KEYS: `indexer:${hash}, backup:${'CD'.repeat(32)}`,
    });
    expect(access).toEqual({
      allowedOrigins: ['https://a.example', 'http://localhost:5173'],
      allowedHosts: ['docs.example', 'localhost:8000'],
      frameAncestors: "'self' https://portal.example",
      compatAccess: false,
      defaultGeneralAccess: 'restricted',
      jwt: {
        issuer: 'https://id.example',
        audience: 'collab',
        key: { jwksUrl: 'https://id.example/jwks.json' },
      },
      apiKeys: new Map([
        [hash, 'indexer'],
        ['cd'.repeat(32), 'backup'],
      ]),
    });
  });

  it.each([
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, 'ALLOWED_ORIGINS'],
    [{ DEFAULT_GENERAL_ACCESS: 'public' }, 'DEFAULT_GENERAL_ACCESS'],
    [{ ALLOWED_HOSTS: 'http://docs.example' }, 'ALLOWED_HOSTS'],
    [{ API_KEYS: 'indexer:secret' }, 'API_KEYS'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_ISSUER: 'https://id.example' }, 'JWT_AUDIENCE'],
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, 'JWT_JWKS_URL'],
    [{ FRAME_ANCESTORS: "'none'; script-src *" }, 'FRAME_ANCESTORS'],
  ])('[A1] a bad access setting %j stops the start naming %s', (env, name) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(name);
  });
});
