import type { Op } from '@collab/protocol';
import TurndownService from 'turndown';
import { bodyHtml } from './html.js';

/**
 * Markdown through the HTML export: turndown knows Markdown's corner cases (escaping, nested lists, fenced
 * code). Strikethrough is written GFM's way; underline has no Markdown form and stays as `<u>`.
 */
const turndown = new TurndownService({
  headingStyle: 'atx',
  codeBlockStyle: 'fenced',
  bulletListMarker: '-',
  emDelimiter: '*',
});
turndown.addRule('strikethrough', {
  filter: ['s', 'del'],
  replacement: (content) => `~~${content}~~`,
});
turndown.keep(['u']);

export function toMarkdown(ops: readonly Op[]): string {
  return `${turndown.turndown(bodyHtml(ops))}\n`;
}
