import type { Handle } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';

/**
 * [A5] Every page says who may frame it (`FRAME_ANCESTORS`, default none) and keeps its address to
 * itself. The content policy itself comes from `kit.csp`; this adds a second policy with only
 * `frame-ancestors` (a header, never a meta tag, can carry it), and browsers enforce both.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  const ancestors = env.FRAME_ANCESTORS?.trim() || "'none'";
  response.headers.append('content-security-policy', `frame-ancestors ${ancestors}`);
  if (ancestors === "'none'") response.headers.set('x-frame-options', 'DENY');
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'strict-origin-when-cross-origin');
  return response;
};
