import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredImage } from '../../src/storage/ImageRecords.js';
import { newDocId, run, type Store } from './helpers.js';

/** An image record of `bytes` (random, so nothing compresses them), named by their SHA-256. */
function imageOf(docId: string, bytes: Uint8Array, contentType = 'image/png'): StoredImage {
  return {
    docId,
    imageId: createHash('sha256').update(bytes).digest('hex'),
    contentType,
    bytes,
    createdAt: 1_700_000_000_000,
  };
}

/** Uploaded images [H4]: part of the storage contract every adapter passes. */
export function describeImageContract(
  store: () => Store,
  other: () => Store,
  options: { readonly largeTimeoutMs: number },
): void {
  describe('images', () => {
    it('[H4] saveImage stores the bytes and type another instance reads back; unknown ids are undefined', async () => {
      const docId = newDocId('image');
      const image = imageOf(docId, new Uint8Array(randomBytes(2048)));
      await run(store().saveImage(image));
      const loaded = await run(other().loadImage(docId, image.imageId));
      expect(loaded).toEqual({ ...image, bytes: expect.any(Uint8Array) });
      expect(Buffer.from(loaded?.bytes ?? []).equals(Buffer.from(image.bytes))).toBe(true);
      expect(await run(store().loadImage(docId, 'f'.repeat(64)))).toBeUndefined();
    });

    it('[H4] an image belongs to its document: another document does not have it', async () => {
      const image = imageOf(newDocId('image-owner'), new Uint8Array(randomBytes(64)));
      await run(store().saveImage(image));
      expect(await run(store().loadImage(newDocId('image-other'), image.imageId))).toBeUndefined();
    });

    it('[H4] saving the same image again, from two instances at once, keeps one copy of it', async () => {
      const docId = newDocId('image-again');
      const image = imageOf(docId, new Uint8Array(randomBytes(4096)), 'image/webp');
      await Promise.all([run(store().saveImage(image)), run(other().saveImage(image))]);
      await run(store().saveImage({ ...image, createdAt: image.createdAt + 5 }));
      const loaded = await run(other().loadImage(docId, image.imageId));
      expect(loaded?.createdAt).toBe(image.createdAt);
      expect(loaded?.contentType).toBe('image/webp');
      expect(Buffer.from(loaded?.bytes ?? []).equals(Buffer.from(image.bytes))).toBe(true);
    });

    it('[H3] [H4] deleteImages removes every image of the document, and none of another', async () => {
      const docId = newDocId('image-delete');
      const kept = newDocId('image-kept');
      const small = imageOf(docId, new Uint8Array(randomBytes(512)));
      const large = imageOf(docId, new Uint8Array(randomBytes(500_000)));
      const elsewhere = imageOf(kept, small.bytes);
      for (const image of [small, large, elsewhere]) await run(store().saveImage(image));
      await run(other().deleteImages(docId));
      expect(await run(store().loadImage(docId, small.imageId))).toBeUndefined();
      expect(await run(store().loadImage(docId, large.imageId))).toBeUndefined();
      expect((await run(store().loadImage(kept, small.imageId)))?.imageId).toBe(small.imageId);
      await run(store().deleteImages(newDocId('image-none')));
    });

    it(
      '[H4] an image larger than one DynamoDB item (1.2 MB) is stored and read back whole',
      async () => {
        const docId = newDocId('image-large');
        const image = imageOf(docId, new Uint8Array(randomBytes(1_200_000)), 'image/jpeg');
        await Promise.all([run(store().saveImage(image)), run(other().saveImage(image))]);
        const loaded = await run(other().loadImage(docId, image.imageId));
        expect(loaded?.bytes.byteLength).toBe(image.bytes.byteLength);
        expect(Buffer.from(loaded?.bytes ?? []).equals(Buffer.from(image.bytes))).toBe(true);
      },
      options.largeTimeoutMs,
    );
  });
}
