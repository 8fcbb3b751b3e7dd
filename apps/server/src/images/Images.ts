import { createHash } from 'node:crypto';
import { imagePath, type Op } from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
import { Config } from '../config.js';
import { InvalidInput, InvalidOperation, LimitExceeded } from '../domain/errors.js';
import { DocumentStore, type StorageFailure } from '../storage/DocumentStore.js';
import type { StoredImage } from '../storage/ImageRecords.js';
import { dataUrlBytes, isDataUrl } from './dataUrl.js';
import { sniffImage } from './imageType.js';

/** An image as stored: its id (the SHA-256 of its bytes), the path it is served at and what it is. */
export interface SavedImage {
  readonly imageId: string;
  readonly url: string;
  readonly contentType: string;
  readonly size: number;
  readonly width: number;
  readonly height: number;
}

export type ImageRefusal = InvalidInput | LimitExceeded;

/**
 * Images in documents [H4]: checks and stores uploads (type from the bytes, size limit), reads them back,
 * and turns the data-URL images of a change into uploads before the change is validated, so that no data
 * URL reaches the op log. Access is checked by the callers, before they call this.
 */
export class Images extends Context.Service<
  Images,
  {
    /** Stores an image into a document; storing the same bytes again answers the same id. */
    save(docId: string, bytes: Uint8Array): Effect.Effect<SavedImage, ImageRefusal | StorageFailure>;
    /** The document's image, or undefined when it has none with this id. */
    load(docId: string, imageId: string): Effect.Effect<StoredImage | undefined, StorageFailure>;
    /**
     * `ops` with every data-URL image stored as an upload of `docId` and replaced by its path. Ops without
     * one are returned as they are (the same array). Refused, storing nothing more, past the per-change
     * count, for an image over the size limit or of another type.
     */
    storeInline(
      docId: string,
      ops: readonly Op[],
    ): Effect.Effect<readonly Op[], InvalidOperation | LimitExceeded | StorageFailure>;
  }
>()('collab/images/Images') {
  static readonly layer = Layer.effect(
    Images,
    Effect.gen(function* () {
      const { maxImageBytes, maxInlineImagesPerChange } = (yield* Config).bounds;
      const store = yield* DocumentStore;

      const save = (docId: string, bytes: Uint8Array) =>
        Effect.gen(function* () {
          if (bytes.byteLength > maxImageBytes) {
            return yield* new LimitExceeded({
              message: `The image is ${bytes.byteLength} bytes, over the limit of ${maxImageBytes} bytes`,
            });
          }
          const info = sniffImage(bytes);
          if (!info) {
            return yield* new InvalidInput({
              message: 'Only PNG, JPEG, GIF and WebP images can be inserted',
            });
          }
          const imageId = createHash('sha256').update(bytes).digest('hex');
          const createdAt = yield* Clock.currentTimeMillis;
          yield* store.saveImage({ docId, imageId, contentType: info.contentType, bytes, createdAt });
          return {
            imageId,
            url: imagePath(docId, imageId),
            contentType: info.contentType,
            size: bytes.byteLength,
            width: info.width,
            height: info.height,
          } satisfies SavedImage;
        });

      const storeInline = (docId: string, ops: readonly Op[]) =>
        Effect.gen(function* () {
          const inline = ops.flatMap((op, index) =>
            'insert' in op && typeof op.insert === 'object' && isDataUrl(op.insert.image) ? [index] : [],
          );
          if (inline.length === 0) return ops;
          if (inline.length > maxInlineImagesPerChange) {
            return yield* new LimitExceeded({
              message: `The change holds ${inline.length} pasted images, over the limit of ${maxInlineImagesPerChange}; insert fewer at once`,
            });
          }
          const result = [...ops];
          for (const index of inline) {
            const op = ops[index] as Op & { insert: { image: string } };
            const bytes = dataUrlBytes(op.insert.image);
            if (!bytes) {
              return yield* new InvalidOperation({
                message: `op ${index}: the image is a data URL that is not base64 image data`,
              });
            }
            const saved = yield* save(docId, bytes).pipe(
              Effect.catchTag('InvalidInput', (refused) =>
                Effect.fail(new InvalidOperation({ message: `op ${index}: ${refused.message}` })),
              ),
            );
            result[index] = { ...op, insert: { image: saved.url } };
          }
          return result;
        });

      return Images.of({
        save,
        load: (docId, imageId) => store.loadImage(docId, imageId),
        storeInline,
      });
    }),
  );
}
