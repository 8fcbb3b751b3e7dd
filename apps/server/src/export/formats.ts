import { z } from 'zod';

/*
 * The export formats' names and files, light enough for the request path: the converters themselves
 * (`convert.ts`, with docx, turndown and quill-delta-to-html) load only in the export worker.
 */

/** The export formats [H2]. */
export const ExportFormat = z.enum(['html', 'md', 'txt', 'docx'], {
  error: 'format must be one of html, md, txt, docx',
});
export type ExportFormat = z.infer<typeof ExportFormat>;

export interface ExportedFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly fileName: string;
}

export const contentTypes: Record<ExportFormat, string> = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};
