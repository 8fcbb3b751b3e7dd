import { PNG } from 'pngjs';

/**
 * Image files for the image tests [H4]. A PNG is drawn with pngjs; the other formats are the smallest
 * valid files of their kind, as bytes.
 */

/** A `width`×`height` PNG: a diagonal gradient from `from` to `to` (RGB), so a screenshot shows it plainly. */
export function gradientPng(
  width: number,
  height: number,
  from: readonly [number, number, number] = [37, 99, 235],
  to: readonly [number, number, number] = [249, 115, 22],
): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / Math.max(1, width - 1) + y / Math.max(1, height - 1)) / 2;
      const offset = (y * width + x) * 4;
      for (let channel = 0; channel < 3; channel++) {
        png.data[offset + channel] = Math.round((from[channel] ?? 0) * (1 - t) + (to[channel] ?? 0) * t);
      }
      png.data[offset + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** A PNG of at least `bytes` bytes: random pixels do not compress. */
export function largePng(bytes: number): Buffer {
  const side = Math.ceil(Math.sqrt(bytes / 3)) + 1;
  const png = new PNG({ width: side, height: side });
  for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : Math.floor(Math.random() * 256);
  return PNG.sync.write(png);
}

/** A 1×1 GIF. */
export const gifPixel = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/** A 1×1 lossless WebP. */
export const webpPixel = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');

/** A 1×1 baseline JPEG. */
export const jpegPixel = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

/** An SVG that runs script when opened: never accepted as an image. */
export const scriptSvg = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
);

/** `bytes` as a base64 data URL of `type`. */
export function dataUrl(bytes: Buffer, type = 'image/png'): string {
  return `data:${type};base64,${bytes.toString('base64')}`;
}
