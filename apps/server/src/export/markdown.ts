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
// Quill's code blocks export as <pre> without <code>, which turndown's fenced rule does not see.
turndown.addRule('codeBlock', {
  filter: (node) => node.nodeName === 'PRE' && node.firstChild?.nodeName !== 'CODE',
  replacement: (_content, node) => `\n\n\`\`\`\n${node.textContent ?? ''}\n\`\`\`\n\n`,
});
turndown.keep(['u']);

export function toMarkdown(ops: readonly Op[]): string {
  return `${turndown.turndown(bodyHtml(ops))}\n`;
}
