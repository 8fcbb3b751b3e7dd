/**
 * Uploaded images [H4]: where the server serves them, and the types it takes. An image's id is the SHA-256
 * of its bytes in hex, so a path names one picture of one document for ever.
 */

/** The types an upload may have. No SVG: it can carry script. */
export const imageContentTypes = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageContentType = (typeof imageContentTypes)[number];

/** An image id: the SHA-256 of the image's bytes, 64 lowercase hex digits. */
export const imageIdPattern = /^[0-9a-f]{64}$/;

/** Where the image `imageId` of document `docId` is served (a site path, the delta's image value). */
export function imagePath(docId: string, imageId: string): string {
  return `/api/documents/${docId}/images/${imageId}`;
}

const imagePathPattern = /^\/api\/documents\/([A-Za-z0-9_-]{1,128})\/images\/([0-9a-f]{64})$/;

/** The document and image a site path names, or undefined when it is not an uploaded image's path. */
export function parseImagePath(path: string): { docId: string; imageId: string } | undefined {
  const match = imagePathPattern.exec(path);
  return match?.[1] && match[2] ? { docId: match[1], imageId: match[2] } : undefined;
}

/** The upload route of a document's images (`POST`, the image as the raw body). */
export function imageUploadPath(docId: string): string {
  return `/api/documents/${docId}/images`;
}
