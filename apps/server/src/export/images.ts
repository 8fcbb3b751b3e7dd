import { type Op, parseImagePath } from '@collab/protocol';

/** An image of the document, carried into an export so the file holds the picture itself [H4]. */
export interface EmbeddedImage {
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** The document's uploaded images an export embeds, by the path the delta references them with. */
export type EmbeddedImages = ReadonlyMap<string, EmbeddedImage>;

/** The distinct paths of the images uploaded into `docId` that `ops` reference, in order. */
export function uploadedImagePaths(docId: string, ops: readonly Op[]): string[] {
  const paths = new Set<string>();
  for (const op of ops) {
    if (!('insert' in op) || typeof op.insert !== 'object') continue;
    const image = op.insert.image;
    if (typeof image === 'string' && parseImagePath(image)?.docId === docId) paths.add(image);
  }
  return [...paths];
}

/** `ops` with each embedded image as a data URL, so a standalone HTML or Markdown file shows it. */
export function withDataUrls(ops: readonly Op[], images: EmbeddedImages): Op[] {
  return ops.map((op) => {
    if (!('insert' in op) || typeof op.insert !== 'object') return op;
    const image = typeof op.insert.image === 'string' ? images.get(op.insert.image) : undefined;
    if (!image) return op;
    const url = `data:${image.contentType};base64,${Buffer.from(image.bytes).toString('base64')}`;
    return { ...op, insert: { image: url } };
  });
}
