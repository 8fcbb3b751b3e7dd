/**
 * The tRPC endpoint on the page's own origin, so the app works unchanged behind a reverse proxy:
 * `wss://` on https pages, `ws://` otherwise.
 */
export function collabSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/trpc`;
}
