import { randomUUID } from 'node:crypto';
import type { Op } from '@collab/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { deltaText } from '../support/editing.js';
import { dataUrl, gradientPng } from '../support/images.js';
import { caretTo, openDocument, type Person, waitUntilSaved } from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

/*
 * [C12] A line two people format at once, in ways Quill cannot show together, ends the same in every
 * editor and in a fresh load. The other person's change is sent through the API, made on the version
 * before the editor's own change, so the two cross exactly as two editors' changes do.
 */
const suite = useBrowserSuite();

/** The editor's lines as Quill wrote them, without the caret's marks. */
const shownHtml = (page: Page) =>
  page.locator('.ql-editor').evaluate((editor) => editor.innerHTML.replace(/\uFEFF/g, ''));

/** Ada on a new document holding `ops`, her caret in its first line. */
async function adaOn(ops: Op[]): Promise<{ id: string; ada: Person }> {
  const id = randomUUID();
  await suite.app.api.documents.create.mutate({ id, delta: { ops } });
  const ada = await suite.person('Ada Lovelace');
  await openDocument(ada, id);
  await caretTo(ada.page, 'start');
  return { id, ada };
}

/** Bob's change, made on version 0: it crosses every change Ada made since she opened the document. */
function bobChanges(id: string, ops: Op[]) {
  return suite.app.api.documents.submit.mutate({
    id,
    clientId: 'anon.bob-tab',
    seq: 1,
    baseVersion: 0,
    delta: { ops },
  });
}

/** What Ada's editor shows, once it equals what a fresh load of the document shows. */
async function sameAsFreshLoad(id: string, ada: Person): Promise<string> {
  await waitUntilSaved(ada.page);
  const reader = await suite.person('Fresh Reader');
  await openDocument(reader, id);
  const fresh = await shownHtml(reader.page);
  await expect.poll(() => shownHtml(ada.page)).toBe(fresh);
  return fresh;
}

describe('[C12] lines formatted two ways at once', () => {
  it('[C12] Ada makes a line a list while Bob makes it a heading: both editors and a fresh load show the list', async () => {
    const { id, ada } = await adaOn([{ insert: 'Title\nbody\n' }]);
    await ada.page.locator('[role="toolbar"] .ql-list[value="ordered"]').click();
    await waitUntilSaved(ada.page);
    // Applied last in Ada's editor, the heading would replace her list there, while the stored line is both.
    await bobChanges(id, [{ retain: 5 }, { retain: 1, attributes: { header: 2 } }]);
    const html = await sameAsFreshLoad(id, ada);
    expect(html).toContain('<ol><li data-list="ordered">');
    expect(html).not.toContain('<h2>');
    const stored = await suite.app.api.documents.get.query({ id });
    expect(stored.delta.ops[1]).toEqual({ insert: '\n', attributes: { list: 'ordered' } });
  });

  it('[C12] Bob bolds text Ada made code meanwhile: when the line stops being code, it is plain everywhere', async () => {
    const { id, ada } = await adaOn([{ insert: 'let answer\nafter\n' }]);
    await ada.page.locator('[role="toolbar"] .ql-code-block').click();
    await waitUntilSaved(ada.page);
    await bobChanges(id, [{ retain: 4 }, { retain: 6, attributes: { bold: true } }]);
    await expect
      .poll(async () => (await suite.app.api.documents.get.query({ id })).delta.ops)
      .toEqual([
        { insert: 'let answer' },
        { insert: '\n', attributes: { 'code-block': 'plain' } },
        { insert: 'after\n' },
      ]);
    await ada.page.locator('[role="toolbar"] .ql-code-block').click();
    const html = await sameAsFreshLoad(id, ada);
    expect(html).toContain('<p>let answer</p>');
  });

  it('[C12] Bob adds an image to a line Ada made code meanwhile: the image stays and the line stops being code', async () => {
    const { id, ada } = await adaOn([{ insert: 'code line\nafter\n' }]);
    await ada.page.locator('[role="toolbar"] .ql-code-block').click();
    await waitUntilSaved(ada.page);
    await bobChanges(id, [{ retain: 4 }, { insert: { image: dataUrl(gradientPng(8, 8)) } }]);
    const html = await sameAsFreshLoad(id, ada);
    expect(html).toMatch(/^<p>code<img src="[^"]+"> line<\/p>/);
    // Every position still counts the image: Ada's typing after it lands where she typed it.
    await ada.page.keyboard.press('End');
    await ada.page.keyboard.type('!');
    await waitUntilSaved(ada.page);
    const stored = await suite.app.api.documents.get.query({ id });
    expect(stored.delta.ops[1]).toMatchObject({ insert: { image: expect.any(String) } });
    expect(deltaText(stored.delta)).toBe('code line!\nafter\n');
  });
});
