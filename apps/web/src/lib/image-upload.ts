import { imageContentTypes, imageUploadPath, parseImagePath } from '@collab/protocol';

/** Image types a person may try to insert: the ones the server takes, and others that get a clear "no". */
export const offeredImageTypes: readonly string[] = [
  ...imageContentTypes,
  'image/svg+xml',
  'image/bmp',
  'image/tiff',
  'image/heic',
  'image/heif',
  'image/avif',
  'image/x-icon',
];

const accepted = new Set<string>(imageContentTypes);

/** An image upload the server (or this page) refused, with the sentence to show the person. */
export class ImageUploadError extends Error {
  override readonly name = 'ImageUploadError';
}

const WRONG_TYPE = 'Only PNG, JPEG, GIF and WebP images can be inserted.';

/** The sentence for a refused upload, from the server's status and answer [H4]. */
export function describeUploadRefusal(status: number, body: { detail?: unknown; tag?: unknown }): string {
  const detail = typeof body.detail === 'string' ? body.detail : '';
  switch (body.tag) {
    case 'LimitExceeded': {
      const limit = /limit of (\d+) bytes/.exec(detail)?.[1];
      return limit
        ? `That image is too large: images can be at most ${formatBytes(Number(limit))}.`
        : 'That image is too large.';
    }
    case 'InvalidInput':
      return WRONG_TYPE;
    case 'Forbidden':
    case 'DocumentNotFound':
    case 'Unauthorized':
      return 'You do not have permission to add images to this document.';
    case 'RateLimited':
      return 'Too many uploads at once; wait a moment and try again.';
    default:
      return status === 415 ? WRONG_TYPE : 'The image could not be uploaded; try again.';
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}

/**
 * Uploads an image into the document and answers the path the delta references it by [H4]. A share link's
 * key goes along, so an editor link may add images. Throws `ImageUploadError` with what to tell the person.
 */
export async function uploadImage(docId: string, key: string | undefined, image: Blob): Promise<string> {
  if (!accepted.has(image.type)) throw new ImageUploadError(WRONG_TYPE);
  const query = key === undefined ? '' : `?key=${encodeURIComponent(key)}`;
  let response: Response;
  try {
    response = await fetch(`${imageUploadPath(docId)}${query}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': image.type },
      body: image,
    });
  } catch {
    throw new ImageUploadError('The image could not be uploaded: the server cannot be reached.');
  }
  const body = (await response.json().catch(() => ({}))) as {
    url?: unknown;
    detail?: unknown;
    tag?: unknown;
  };
  if (response.status !== 201 || typeof body.url !== 'string') {
    throw new ImageUploadError(describeUploadRefusal(response.status, body));
  }
  return body.url;
}

/**
 * Where the page loads an image from: an uploaded image of a document opened through a share link carries
 * the link's key, since the person may have no other access [A2]; anything else is left as it is.
 */
export function imageSourceFor(value: string, key: string | undefined): string {
  if (key === undefined || !parseImagePath(value)) return value;
  return `${value}?key=${encodeURIComponent(key)}`;
}

/** The delta's value of an image the page shows: its source without the key `imageSourceFor` added. */
export function imageValueOf(source: string): string {
  const query = source.indexOf('?');
  const path = query === -1 ? source : source.slice(0, query);
  return parseImagePath(path) ? path : source;
}

/**
 * The image a base64 data URL holds, as a Blob of its declared type (the server reads the real type from
 * the bytes), or undefined when it is not one. Decoded here: the page's policy lets it fetch only its own
 * origin, not `data:` URLs.
 */
export function dataUrlToBlob(source: string): Blob | undefined {
  const match = /^data:([\w/+.-]+);base64,/i.exec(source);
  if (!match) return undefined;
  try {
    const binary = atob(source.slice(match[0].length).replace(/\s/g, ''));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return new Blob([bytes], { type: (match[1] ?? '').toLowerCase() });
  } catch {
    return undefined;
  }
}
