import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  caretTo,
  createDocumentAs,
  editorText,
  openDocument,
  type Person,
  screenshot,
  waitUntilEditable,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite();

async function writer(name = 'Ada Lovelace'): Promise<Person> {
  const person = await suite.person(name);
  await openDocument(person, `polish-${randomUUID()}`);
  await person.page.locator('.ql-editor').click();
  return person;
}

const lineHtml = (page: Page) => page.locator('.ql-editor').innerHTML();

describe('editor polish [H5]', () => {
  it('[H5] Ctrl+Y and Ctrl+Shift+Z redo what Ctrl+Z undid', async () => {
    const { page } = await writer();
    await page.keyboard.type('Hello');
    await page.keyboard.press('Control+z');
    await expect.poll(() => editorText(page)).toBe('\n');
    await page.keyboard.press('Control+y');
    await expect.poll(() => editorText(page)).toBe('Hello\n');
    await page.keyboard.press('Control+z');
    await expect.poll(() => editorText(page)).toBe('\n');
    await page.keyboard.press('Control+Shift+Z');
    await expect.poll(() => editorText(page)).toBe('Hello\n');
  });

  it('[H5] Ctrl+Alt+1–3 make the line a heading of that level, and again makes it text', async () => {
    const { page } = await writer();
    await page.keyboard.type('Chapter');
    for (const level of [1, 2, 3]) {
      await page.keyboard.press(`Control+Alt+${level}`);
      await page.locator(`.ql-editor h${level}`, { hasText: 'Chapter' }).waitFor();
    }
    await page.keyboard.press('Control+Alt+3');
    await page.locator('.ql-editor p', { hasText: 'Chapter' }).waitFor();
  });

  it('[H5] Ctrl+Shift+7 makes a numbered list and Ctrl+Shift+8 a bulleted one', async () => {
    const { page } = await writer();
    await page.keyboard.type('First item');
    await page.keyboard.press('Control+Shift+7');
    await page.locator('.ql-editor li[data-list="ordered"]', { hasText: 'First item' }).waitFor();
    await page.keyboard.press('Control+Shift+8');
    await page.locator('.ql-editor li[data-list="bullet"]', { hasText: 'First item' }).waitFor();
  });

  it('[H5] Markdown shortcuts: "# ", "## ", "> " and "``` " at the start of a line format it', async () => {
    const { page } = await writer();
    await page.keyboard.type('# Big title');
    await page.keyboard.press('Enter');
    await page.keyboard.type('## Smaller');
    await page.keyboard.press('Enter');
    await page.keyboard.type('> Quoted words');
    await page.locator('.ql-editor h1', { hasText: /^Big title$/ }).waitFor();
    await page.locator('.ql-editor h2', { hasText: /^Smaller$/ }).waitFor();
    await page.locator('.ql-editor blockquote', { hasText: /^Quoted words$/ }).waitFor();

    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+Shift+8');
    await page.keyboard.press('Control+Shift+8');
    await page.keyboard.type('``` let x = 1');
    await page.locator('.ql-editor .ql-code-block', { hasText: /^let x = 1$/ }).waitFor();
    expect(await lineHtml(page)).not.toContain('#');
  });

  it('[H5] a link typed without a scheme gets https://', async () => {
    const { page } = await writer();
    await page.keyboard.type('docs');
    await page.keyboard.press('Shift+Home');
    await page.getByRole('button', { name: 'Insert link' }).click();
    const field = page.locator('.ql-tooltip input[type="text"]');
    await field.fill('example.com/guide');
    await field.press('Enter');
    await page.locator('.ql-editor a[href="https://example.com/guide"]', { hasText: 'docs' }).waitFor();
  });

  it("[H5] a collaborator's name flag fades after a few idle seconds and shows again on hover", async () => {
    const id = `flags-${randomUUID()}`;
    const ada = await suite.person('Ada Lovelace');
    const grace = await suite.person('Grace Hopper');
    await createDocumentAs(ada, id, 'Line one of the shared page');
    await openDocument(ada, id);
    await openDocument(grace, id);
    await caretTo(grace.page, 'end');
    await grace.page.keyboard.type(' and more');

    const flag = ada.page.locator('.ql-cursor-flag', { hasText: 'Grace Hopper' });
    const opacity = () => flag.evaluate((element) => getComputedStyle(element).opacity);
    await expect.poll(opacity).toBe('1');
    await expect.poll(opacity, { timeout: 15_000 }).toBe('0');
    await ada.page.locator('.ql-cursor-caret-container').hover();
    await expect.poll(opacity).toBe('1');
  });

  it('[H5] the first-visit name box has its suggestion selected, so typing replaces it', async () => {
    const dana = await suite.person('Dana');
    const id = `name-${randomUUID()}`;
    await createDocumentAs(dana, id);
    await dana.page.goto(`/documents/${id}`);
    const field = dana.page.getByRole('dialog', { name: 'What’s your name?' }).getByLabel('Your name');
    await expect.poll(() => field.inputValue()).not.toBe('');
    await dana.page.keyboard.type('Dana');
    expect(await field.inputValue()).toBe('Dana');
  });

  it('[H5] a skip link is the first Tab stop and goes to the editor, which has an accessible name', async () => {
    const ada = await suite.person('Ada Lovelace');
    const id = `skip-${randomUUID()}`;
    await openDocument(ada, id);
    await ada.page.reload();
    await waitUntilEditable(ada.page);
    // The editor takes the caret when it opens: Tab from the top of the page instead.
    await ada.page.evaluate(() => {
      const top = document.createElement('span');
      top.tabIndex = -1;
      document.body.prepend(top);
      top.focus();
      top.remove();
    });
    await ada.page.keyboard.press('Tab');
    await expect
      .poll(() => ada.page.evaluate(() => document.activeElement?.textContent?.trim()))
      .toBe('Skip to the document');
    await ada.page.keyboard.press('Enter');
    const editor = ada.page.getByRole('textbox', { name: 'Document' });
    await expect.poll(() => editor.evaluate((element) => element === document.activeElement)).toBe(true);
  });

  it('[H5] dark mode follows the system', async () => {
    const ada = await suite.person('Ada Lovelace');
    await ada.page.emulateMedia({ colorScheme: 'dark' });
    const id = `dark-${randomUUID()}`;
    await createDocumentAs(ada, id, 'Reading at night');
    await openDocument(ada, id);
    const background = () =>
      ada.page.evaluate(() => getComputedStyle(document.querySelector('.page') as Element).backgroundColor);
    expect(await background()).toBe('rgb(38, 40, 44)');
    await screenshot(ada.page, 'editor-dark');
    await ada.page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(255, 255, 255)');
  });

  it('[H5] Ctrl+/ shows the keyboard shortcuts', async () => {
    const { page } = await writer();
    await page.keyboard.press('Control+/');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.getByText('Ctrl+Alt+1, 2, 3').waitFor();
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
  });
  it('[H5] the status line counts words, and Ctrl+Shift+C shows the counts of the document and the selection', async () => {
    const { page } = await writer();
    await page.keyboard.type('One two three four');
    await expect.poll(() => page.getByTestId('word-count').textContent()).toContain('4 words');
    await page.keyboard.press('Shift+Control+ArrowLeft');
    await page.keyboard.press('Shift+Control+ArrowLeft');
    await page.keyboard.press('Control+Shift+C');
    const dialog = page.getByRole('dialog', { name: 'Word count' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('selected-words').textContent()).toBe('2');
    expect(await dialog.getByTestId('selected-characters').textContent()).toBe('10');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('[H5] Ctrl+F inside the editor finds, Ctrl+H replaces one or all, for everyone', async () => {
    const id = `find-${randomUUID()}`;
    const ada = await suite.person('Ada Lovelace');
    const grace = await suite.person('Grace Hopper');
    await createDocumentAs(ada, id, 'cat and Cat and dog and cat');
    await openDocument(ada, id);
    await openDocument(grace, id);
    const { page } = ada;
    await page.locator('.ql-editor').click();

    await page.keyboard.press('Control+f');
    const find = page.getByLabel('Find in document');
    await find.fill('cat');
    await find.press('Enter');
    await expect.poll(() => page.getByTestId('find-count').textContent()).toContain('1 of 3');
    const painted = () =>
      page.evaluate(() => {
        const texts: string[] = [];
        CSS.highlights.forEach((highlight, name) => {
          if (name !== 'find-match') return;
          highlight.forEach((range) => {
            texts.push(range.toString());
          });
        });
        return texts;
      });
    expect(await painted()).toEqual(['cat']);
    await find.press('Enter');
    await expect.poll(() => page.getByTestId('find-count').textContent()).toContain('2 of 3');
    expect(await painted()).toEqual(['Cat']);

    await page.keyboard.press('Control+h');
    await page.getByLabel('Replace with').fill('bird');
    await page.getByRole('button', { name: 'Replace', exact: true }).click();
    await expect.poll(() => editorText(page)).toBe('cat and bird and dog and cat\n');
    await page.getByRole('button', { name: 'Replace all' }).click();
    await expect.poll(() => editorText(page)).toBe('bird and bird and dog and bird\n');
    await expect.poll(() => editorText(grace.page)).toBe('bird and bird and dog and bird\n');
  });
});
