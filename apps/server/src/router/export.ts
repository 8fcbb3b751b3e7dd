import { DocumentId, LinkKey } from '@collab/protocol';
import { z } from 'zod';
import { exportFile } from '../export/exporter.js';
import { ExportFormat } from '../export/formats.js';
import { router, viewerProcedure } from '../trpc/init.js';

const ExportInput = z.strictObject({
  id: DocumentId,
  key: LinkKey.optional(),
  format: ExportFormat,
  /** An earlier version to export; the head when omitted. */
  version: z.number().int().min(0).optional(),
});

/** Export [H2]: the same files as `GET /api/documents/{id}/export`, over tRPC (DOCX as base64). */
export const exportRouter = router({
  document: viewerProcedure.input(ExportInput).query(async ({ input, ctx }) => {
    const file = await ctx.run(exportFile(ctx.services, input.id, input.format, input.version), {
      procedure: 'export.document',
      docId: input.id,
    });
    const binary = input.format === 'docx';
    return {
      fileName: file.fileName,
      contentType: file.contentType,
      encoding: binary ? ('base64' as const) : ('utf8' as const),
      data: file.body.toString(binary ? 'base64' : 'utf8'),
    };
  }),
});
