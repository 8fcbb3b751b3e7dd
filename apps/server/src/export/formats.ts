import type { Op } from '@collab/protocol';
import { z } from 'zod';
import { toDocx } from './docx.js';
import { toHtml } from './html.js';
import { type EmbeddedImages, withDataUrls } from './images.js';
import { toMarkdown } from './markdown.js';
import { toText } from './text.js';

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

const contentTypes: Record<ExportFormat, string> = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** The document as a file of `format`, named after its id. */
export async function exportDocument(
  docId: string,
  ops: readonly Op[],
  format: ExportFormat,
  images: EmbeddedImages = new Map(),
): Promise<ExportedFile> {
  // A standalone HTML or Markdown file carries its pictures as data URLs; a DOCX holds them as media.
  const body =
    format === 'docx'
      ? await toDocx(ops, images)
      : Buffer.from(
          format === 'html'
            ? toHtml(withDataUrls(ops, images))
            : format === 'md'
              ? toMarkdown(withDataUrls(ops, images))
              : toText(ops),
          'utf8',
        );
  return { body, contentType: contentTypes[format], fileName: `${docId}.${format}` };
}
