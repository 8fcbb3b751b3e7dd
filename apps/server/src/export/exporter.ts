import type { Op } from '@collab/protocol';
import { Effect } from 'effect';
import type { AppServices } from '../app.js';
import { Unavailable } from '../domain/errors.js';
import { convertInWorker, exportQueueFull } from './exportWorker.js';
import type { ExportedFile, ExportFormat } from './formats.js';

/** The document (at its head, or at an earlier `version`) as a file of `format` [H2]. */
export const exportFile = (
  services: Pick<AppServices, 'sessions' | 'history'>,
  docId: string,
  format: ExportFormat,
  version?: number,
) =>
  Effect.gen(function* () {
    if (exportQueueFull()) {
      return yield* new Unavailable({
        message: 'Too many exports are being prepared; try again in a moment',
      });
    }
    const ops: readonly Op[] =
      version === undefined
        ? (yield* services.sessions.get(docId)).delta.ops
        : ((yield* services.history.documentAt(docId, version)).ops as Op[]);
    // A conversion that throws is a bug in it, not a failure of the request: it surfaces as a defect.
    const file: ExportedFile = yield* Effect.promise(() => convertInWorker(docId, ops, format));
    return file;
  });
