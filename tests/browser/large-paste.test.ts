import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deltaText } from '../support/editing.js';
import { noticesShown, openDocument, recordNotices, waitUntilSaved } from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite();

/** About 1 MB of formatted text (983,000 characters) as a browser puts it on the clipboard: 8,000 paragraphs of 5 runs each. */
function formattedHtml(): string {
  const paragraphs: string[] = [];
  for (let i = 0; i < 8_000; i++) {
    paragraphs.push(
      `<p>Lorem ipsum dolor sit amet, consectetur adipiscing ${i} <strong>bold words here</strong> and <a href="https://example.com/${i}">a link</a>, then <em>some emphasis</em> and a tail of text.</p>`,
    );
  }
  return paragraphs.join('');
}

describe('[L1] a large legitimate paste', () => {
  it('[L1] 1 MB of formatted text pasted into the editor commits whole (under MAX_DELTA_OPS): nothing is refused', {
    // Quill turns the pasted HTML into 40,000 ops in the page: about 40 s here.
    timeout: 240_000,
  }, async () => {
    const id = randomUUID();
    const ada = await suite.person('Ada Lovelace');
    await recordNotices(ada.page);
    await openDocument(ada, id);
    await ada.page.locator('.ql-editor').evaluate((editor, html) => {
      const data = new DataTransfer();
      data.setData('text/html', html);
      data.setData('text/plain', html.replace(/<[^>]+>/g, ''));
      editor.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
      );
    }, formattedHtml());
    await waitUntilSaved(ada.page, 200_000);
    const stored = await suite.app.api.documents.get.query({ id });
    expect(deltaText(stored.delta).length).toBeGreaterThan(950_000);
    expect(stored.delta.ops.length).toBeGreaterThan(30_000);
    expect(
      stored.delta.ops.some((op) => 'attributes' in op && op.attributes?.link === 'https://example.com/7999'),
    ).toBe(true);
    expect(await noticesShown(ada.page)).toEqual([]);
  });
});
