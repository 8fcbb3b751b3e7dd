import type Quill from 'quill';

/** Anything that already names a scheme, or a path or anchor on this site. */
const hasScheme = /^([a-z][a-z0-9+.-]*:|\/|#)/i;

/** "example.com" is a web address: links typed without a scheme get `https://` [H5]. */
export function withScheme(url: string): string {
  const trimmed = url.trim();
  return trimmed === '' || hasScheme.test(trimmed) ? trimmed : `https://${trimmed}`;
}

/** Replaces Quill's link format with one that adds the scheme before Quill's own sanitising. */
export function registerSchemeLinks(QuillClass: typeof Quill): void {
  const Link = QuillClass.import('formats/link') as unknown as {
    sanitize(url: string): string;
    new (...args: never[]): object;
  };
  class SchemeLink extends Link {
    static override sanitize(url: string): string {
      return Link.sanitize(withScheme(url));
    }
  }
  QuillClass.register('formats/link', SchemeLink, true);
}
