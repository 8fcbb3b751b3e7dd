import type { Op } from '@collab/protocol';
import { toDocx } from './docx.js';
import { contentTypes, type ExportedFile, type ExportFormat } from './formats.js';
import { toHtml } from './html.js';
import { type EmbeddedImages, withDataUrls } from './images.js';
import { toMarkdown } from './markdown.js';
import { toText } from './text.js';

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
