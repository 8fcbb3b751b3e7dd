import { and, eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as Effect from 'effect/Effect';
import { StorageFailure } from '../DocumentStore.js';
import type { ImageRecordStore } from '../ImageRecords.js';
import * as schema from './schema.js';

function attempt<A>(operation: string, run: () => A): Effect.Effect<A, StorageFailure> {
  return Effect.try({
    try: run,
    catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
  });
}

/** Uploaded images in the SQLite database [H4]: one row per (document, image), the bytes as a blob. */
export function sqliteImageRecords(db: BetterSQLite3Database<typeof schema>): ImageRecordStore {
  const { documentImages } = schema;
  return {
    saveImage: (image) =>
      attempt('saveImage', () =>
        db
          .insert(documentImages)
          .values({
            docId: image.docId,
            imageId: image.imageId,
            contentType: image.contentType,
            data: Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength),
            createdAt: image.createdAt,
          })
          .onConflictDoNothing()
          .run(),
      ).pipe(Effect.asVoid),
    loadImage: (docId, imageId) =>
      attempt('loadImage', () =>
        db
          .select()
          .from(documentImages)
          .where(and(eq(documentImages.docId, docId), eq(documentImages.imageId, imageId)))
          .get(),
      ).pipe(
        Effect.map((row) =>
          row
            ? {
                docId: row.docId,
                imageId: row.imageId,
                contentType: row.contentType,
                bytes: new Uint8Array(row.data),
                createdAt: row.createdAt,
              }
            : undefined,
        ),
      ),
    deleteImages: (docId) =>
      attempt('deleteImages', () =>
        db.delete(documentImages).where(eq(documentImages.docId, docId)).run(),
      ).pipe(Effect.asVoid),
  };
}
