import type * as Effect from 'effect/Effect';
import type { StorageFailure } from './DocumentStore.js';

/**
 * An image uploaded into a document [H4]. Its id is the SHA-256 of its bytes (hex), so uploading the same
 * picture twice stores it once, and an id names one content for ever (it is served as immutable).
 */
export interface StoredImage {
  readonly docId: string;
  readonly imageId: string;
  /** `image/png`, `image/jpeg`, `image/gif` or `image/webp`, as the bytes say. */
  readonly contentType: string;
  readonly bytes: Uint8Array;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** The part of the storage contract that holds uploaded images [H4]. */
export interface ImageRecordStore {
  /**
   * Stores an image of a document unless `(docId, imageId)` is stored already; since the id is the hash
   * of the bytes, the stored one is the same picture. A reader never sees half an image.
   */
  saveImage(image: StoredImage): Effect.Effect<void, StorageFailure>;
  /** The image, or undefined when the document has no image with this id. */
  loadImage(docId: string, imageId: string): Effect.Effect<StoredImage | undefined, StorageFailure>;
  /** Removes every image of a document for good (delete forever [H3]). */
  deleteImages(docId: string): Effect.Effect<void, StorageFailure>;
}
