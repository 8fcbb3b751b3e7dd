import type { ImageContentType } from '@collab/protocol';
import { imageSize } from 'image-size';

/** image-size's names of the formats an upload may have [H4], as content types. */
const contentTypeOf: Readonly<Record<string, ImageContentType>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

export interface ImageInfo {
  readonly contentType: ImageContentType;
  readonly width: number;
  readonly height: number;
}

/**
 * What the bytes are, read from their signature and header (never from a name or a declared type), or
 * undefined when they are not a PNG, JPEG, GIF or WebP image. SVG is refused whatever it is called: it can
 * carry script.
 */
export function sniffImage(bytes: Uint8Array): ImageInfo | undefined {
  try {
    const { type, width, height } = imageSize(bytes);
    const contentType = type === undefined ? undefined : contentTypeOf[type];
    if (!contentType || !(width > 0) || !(height > 0)) return undefined;
    return { contentType, width, height };
  } catch {
    // image-size throws on bytes it cannot read: they are not an image of a kind it knows.
    return undefined;
  }
}
