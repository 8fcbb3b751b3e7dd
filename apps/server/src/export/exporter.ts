import type { Op } from '@collab/protocol';
import * as Effect from 'effect/Effect';
import type { AppServices } from '../app.js';
import { Unavailable } from '../domain/errors.js';
import { exportWorker } from './exportWorker.js';
import type { ExportedFile, ExportFormat } from './formats.js';
import { type EmbeddedImage, uploadedImagePaths } from './images.js';

/** The document (at its head, or at an earlier `version`) as a file of `format` [H2]. */
export const exportFile = (
  services: Pick<AppServices, 'sessions' | 'history' | 'images'>,
  docId: string,
  format: ExportFormat,
  version?: number,
) =>
  Effect.gen(function* () {
    if (exportWorker.queueFull()) {
      return yield* new Unavailable({
        message: 'Too many exports are being prepared; try again in a moment',
      });
    }
    const ops: readonly Op[] =
      version === undefined
        ? (yield* services.sessions.get(docId)).delta.ops
        : ((yield* services.history.documentAt(docId, version)).ops as Op[]);
    const images = format === 'txt' ? new Map() : yield* embeddedImages(services, docId, ops);
    // A conversion that throws is a bug in it, not a failure of the request: it surfaces as a defect.
    const file: ExportedFile = yield* Effect.promise(() => exportWorker.convert(docId, ops, format, images));
    return file;
  });

/**
 * The document's uploaded images, to embed in the file [H4], up to `maxEmbeddedImageBytes` in all; past
 * that, images stay references to their path.
 */
const embeddedImages = (services: Pick<AppServices, 'images'>, docId: string, ops: readonly Op[]) =>
  Effect.gen(function* () {
    const images = new Map<string, EmbeddedImage>();
    let total = 0;
    for (const path of uploadedImagePaths(docId, ops)) {
      const image = yield* services.images.load(docId, path.slice(path.lastIndexOf('/') + 1));
      if (!image) continue;
      if (total + image.bytes.byteLength > maxEmbeddedImageBytes) break;
      total += image.bytes.byteLength;
      images.set(path, { contentType: image.contentType, bytes: image.bytes });
    }
    return images;
  });

/** Image bytes one export embeds at most (the file goes through the worker and into memory whole). */
const maxEmbeddedImageBytes = 32 * 1024 * 1024;
