import { parentPort } from 'node:worker_threads';
import type { Op } from '@collab/protocol';
import { exportDocument } from './convert.js';
import type { ExportFormat } from './formats.js';
import type { EmbeddedImages } from './images.js';

/** A conversion asked of the export worker. */
export interface ExportRequest {
  readonly id: number;
  readonly docId: string;
  readonly ops: readonly Op[];
  readonly format: ExportFormat;
  readonly images: EmbeddedImages;
}

/** Its answer: the file, or why the converter failed. */
export type ExportResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly body: Uint8Array;
      readonly contentType: string;
      readonly fileName: string;
    }
  | { readonly id: number; readonly ok: false; readonly message: string };

parentPort?.on('message', (request: ExportRequest) => {
  exportDocument(request.docId, request.ops, request.format, request.images).then(
    (file) => {
      const response: ExportResponse = { id: request.id, ok: true, ...file };
      parentPort?.postMessage(response);
    },
    (error: unknown) => {
      const response: ExportResponse = { id: request.id, ok: false, message: String(error) };
      parentPort?.postMessage(response);
    },
  );
});
