import type { AccessInfo, GeneralAccess, LinkRole, Me } from '@collab/protocol';

/**
 * Plain HTTP calls to the server's tRPC endpoint on the page's origin: the session call sets the
 * session cookie the socket then carries [A1], and the owner's sharing changes [A2].
 */
export async function call<T>(procedure: string, input?: unknown): Promise<T> {
  const response =
    input === undefined
      ? await fetch(`/trpc/${procedure}`, { credentials: 'same-origin' })
      : await fetch(`/trpc/${procedure}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(input),
        });
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  if (!response.ok || !body.result) throw new Error(body.error?.message ?? `${procedure} failed`);
  return body.result.data;
}

/** Who this browser is; the first call starts its session. */
export const fetchMe = () => call<Me>('session.me');

/** Keeps the name and colour asked once on the session, so every tab and device of it shows them. */
export const saveProfile = (profile: { name: string; color: string }) =>
  call<Me>('session.setProfile', profile);

export const setGeneralAccess = (id: string, generalAccess: GeneralAccess) =>
  call<AccessInfo>('access.setGeneralAccess', { id, generalAccess });

export const changeLink = (id: string, role: LinkRole, change: 'rotate' | 'revoke') =>
  call<AccessInfo>(change === 'rotate' ? 'access.rotateLink' : 'access.revokeLink', { id, role });

/** The address a share link opens: the document with its key. */
export function shareLinkUrl(origin: string, id: string, key: string): string {
  return `${origin}/documents/${encodeURIComponent(id)}?key=${encodeURIComponent(key)}`;
}
