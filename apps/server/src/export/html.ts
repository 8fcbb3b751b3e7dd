import type { Op } from '@collab/protocol';
import { QuillDeltaToHtmlConverter } from 'quill-delta-to-html';
import { titleOf } from './lines.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The document's body as HTML: inline styles, so colours and alignment survive without Quill's CSS. */
export function bodyHtml(ops: readonly Op[]): string {
  const converter = new QuillDeltaToHtmlConverter([...ops] as never[], {
    inlineStyles: true,
    multiLineBlockquote: true,
    multiLineCodeblock: true,
    linkTarget: '',
  });
  return converter.convert();
}

/** A standalone HTML page holding the document [H2]. */
export function toHtml(ops: readonly Op[]): string {
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(titleOf(ops))}</title>`,
    '</head><body>',
    bodyHtml(ops),
    '</body></html>',
    '',
  ].join('\n');
}
