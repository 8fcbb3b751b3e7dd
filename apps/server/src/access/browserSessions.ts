import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Effect from 'effect/Effect';
import type { BrowserSessionRecord } from '../storage/AccessRecords.js';
import type { DocumentStore, StorageFailure } from '../storage/DocumentStore.js';
import { cameOverTls } from './origins.js';
import type { Principal } from './principal.js';

/**
 * Browser sessions [A1]: an opaque random secret in an HttpOnly, SameSite=Lax cookie, `Secure` when the
 * request came over TLS (directly, or as the proxy reports with X-Forwarded-Proto). Storage holds only
 * the secret's SHA-256, so a leaked database names no usable session.
 */
export const sessionCookieName = 'collab_session';
const cookieMaxAgeSeconds = 400 * 24 * 60 * 60;

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function sessionSecretOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === sessionCookieName && value && /^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}

export function principalOfSession(record: BrowserSessionRecord): Principal {
  return {
    kind: 'session',
    authorId: record.authorId,
    name: record.name,
    color: record.color,
    sessionHash: record.secretHash,
  };
}

/** Session records by secret hash, kept a minute: a profile change on another instance shows after that. */
export function browserSessions(store: DocumentStore['Service']) {
  const cache = new Map<string, { record: BrowserSessionRecord; until: number }>();
  const remember = (record: BrowserSessionRecord) => {
    if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
    cache.set(record.secretHash, { record, until: Date.now() + 60_000 });
  };

  const find = (secret: string): Effect.Effect<BrowserSessionRecord | undefined, StorageFailure> => {
    const secretHash = hashOf(secret);
    const cached = cache.get(secretHash);
    if (cached && cached.until > Date.now()) return Effect.succeed(cached.record);
    return store
      .loadBrowserSession(secretHash)
      .pipe(Effect.tap((record) => Effect.sync(() => record && remember(record))));
  };

  return {
    /** The session the request's cookie names, if the server issued it. */
    fromRequest(req: IncomingMessage): Effect.Effect<Principal | undefined, StorageFailure> {
      const secret = sessionSecretOf(req);
      if (!secret) return Effect.succeed(undefined);
      return find(secret).pipe(Effect.map((record) => record && principalOfSession(record)));
    },

    /** Issues a new session and sets its cookie on the response. */
    issue(req: IncomingMessage, res: ServerResponse): Effect.Effect<Principal, StorageFailure> {
      const secret = randomBytes(32).toString('base64url');
      const record: BrowserSessionRecord = {
        secretHash: hashOf(secret),
        authorId: `s-${randomBytes(12).toString('base64url')}`,
        name: null,
        color: null,
        createdAt: Date.now(),
      };
      return store.saveBrowserSession(record).pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            remember(record);
            const attributes = [
              `${sessionCookieName}=${secret}`,
              'Path=/',
              'HttpOnly',
              'SameSite=Lax',
              `Max-Age=${cookieMaxAgeSeconds}`,
              // The forwarded protocol only ever makes the cookie stricter, so it needs no trust here.
              ...(cameOverTls(req) ? ['Secure'] : []),
            ];
            res.appendHeader('set-cookie', attributes.join('; '));
          }),
        ),
        Effect.map(() => principalOfSession(record)),
      );
    },

    /** Saves the display name and colour asked once in the browser. */
    saveProfile(
      principal: Principal,
      profile: { name: string; color: string },
    ): Effect.Effect<Principal, StorageFailure> {
      const secretHash = principal.sessionHash;
      if (principal.kind !== 'session' || !secretHash) return Effect.succeed(principal);
      const record: BrowserSessionRecord = {
        secretHash,
        authorId: principal.authorId,
        name: profile.name,
        color: profile.color,
        createdAt: Date.now(),
      };
      return store.saveBrowserSession(record).pipe(
        Effect.tap(() => Effect.sync(() => remember(record))),
        Effect.map(() => principalOfSession(record)),
      );
    },
  };
}
