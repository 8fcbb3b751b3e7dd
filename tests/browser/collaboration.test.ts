import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { deltaText } from '../support/editing.js';
import {
  caretTo,
  editorText,
  openDocument,
  type Person,
  screenshot,
  waitUntilSaved,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite();

async function twoPeopleOn(id: string): Promise<[Person, Person]> {
  const ada = await suite.person('Ada Lovelace');
  const grace = await suite.person('Grace Hopper');
  await openDocument(ada, id);
  await openDocument(grace, id);
  return [ada, grace];
}

/** The text of every remote selection painted on the page. */
function highlightedText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const texts: string[] = [];
    CSS.highlights.forEach((highlight) => {
      highlight.forEach((range) => {
        texts.push(range.toString());
      });
    });
    return texts;
  });
}

/** Waits until both pages show the same text and have nothing left to save; returns that text. */
async function converged(...persons: Person[]): Promise<string> {
  await expect
    .poll(async () => new Set(await Promise.all(persons.map((p) => editorText(p.page)))).size, {
      timeout: 20_000,
    })
    .toBe(1);
  for (const person of persons) await waitUntilSaved(person.page);
  return editorText(persons[0]!.page);
}

describe('live co-editing in the browser', () => {
  it('[C5] two people typing at the same time in different places see the same text, and it is what the server stores', async () => {
    const id = randomUUID();
    await suite.app.api.documents.create.mutate({
      id,
      delta: { ops: [{ insert: 'Shared notes\nMiddle line\n' }] },
    });
    const [ada, grace] = await twoPeopleOn(id);
    await expect.poll(() => editorText(grace.page)).toBe('Shared notes\nMiddle line\n');

    await caretTo(ada.page, 'start');
    await caretTo(grace.page, 'end');
    await Promise.all([
      ada.page.keyboard.type('Ada was here. ', { delay: 25 }),
      grace.page.keyboard.type(' Grace adds this.', { delay: 25 }),
    ]);

    const text = await converged(ada, grace);
    expect(text).toContain('Ada was here. Shared notes');
    expect(text).toContain('Middle line Grace adds this.');
    const stored = await suite.app.api.documents.get.query({ id });
    expect(deltaText(stored.delta)).toBe(text);
  });

  it('formatting made by one person shows for the other, and a reload shows the same document', async () => {
    const id = randomUUID();
    const [ada, grace] = await twoPeopleOn(id);
    await caretTo(ada.page, 'start');
    await ada.page.keyboard.type('Headline');
    await ada.page.keyboard.press('Shift+Home');
    await ada.page.getByRole('button', { name: 'Bold' }).click();
    await ada.page.keyboard.press('End');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('First point');
    await ada.page.getByRole('button', { name: 'Bulleted list' }).click();

    await expect.poll(() => grace.page.locator('.ql-editor strong').textContent()).toBe('Headline');
    await expect
      .poll(() => grace.page.locator('.ql-editor li[data-list="bullet"]').textContent())
      .toBe('First point');
    const text = await converged(ada, grace);

    const stored = await suite.app.api.documents.get.query({ id });
    expect(stored.delta.ops).toContainEqual({ insert: 'Headline', attributes: { bold: true } });
    expect(stored.delta.ops).toContainEqual({ insert: '\n', attributes: { list: 'bullet' } });

    await grace.page.reload();
    await grace.page.locator('.page[data-phase="ready"]').waitFor();
    expect(await editorText(grace.page)).toBe(text);
    expect(await grace.page.locator('.ql-editor strong').textContent()).toBe('Headline');
    await expect.poll(() => grace.page.getByTestId('document-title').textContent()).toBe('Headline');
  });

  it('[C7] undo in one window undoes only that person’s typing, never the other’s', async () => {
    const id = randomUUID();
    const [ada, grace] = await twoPeopleOn(id);
    await caretTo(ada.page, 'start');
    await ada.page.keyboard.type('Ada line');
    await ada.page.keyboard.press('Enter');
    await converged(ada, grace);

    await caretTo(grace.page, 'end');
    await grace.page.keyboard.type('Grace line');
    await expect.poll(() => editorText(ada.page)).toBe('Ada line\nGrace line\n');

    // Ada's last edit is older than Grace's; undo must skip Grace's and take back Ada's own.
    await ada.page.locator('.ql-editor').click();
    await ada.page.keyboard.press('Control+z');
    const text = await converged(ada, grace);
    expect(text).toBe('Grace line\n');
    expect(deltaText((await suite.app.api.documents.get.query({ id })).delta)).toBe('Grace line\n');

    await ada.page.keyboard.press('Control+Shift+z');
    expect(await converged(ada, grace)).toBe('Ada line\nGrace line\n');
  });

  it('[C6] each person sees the other’s cursor with their name, and who is here; it goes when they leave', async () => {
    const id = randomUUID();
    await suite.app.api.documents.create.mutate({
      id,
      delta: {
        ops: [
          { insert: 'Launch plan' },
          { insert: '\n', attributes: { header: 1 } },
          { insert: 'We ship the editor when two people can write together without losing a word.\n' },
          { insert: 'Open questions', attributes: { bold: true } },
          { insert: '\n' },
          { insert: 'Who reviews the release notes?' },
          { insert: '\n', attributes: { list: 'bullet' } },
          { insert: 'Do we need a dark theme first?' },
          { insert: '\n', attributes: { list: 'bullet' } },
        ],
      },
    });
    const [ada, grace] = await twoPeopleOn(id);

    await ada.page.locator('.ql-editor p').first().click();
    await ada.page.keyboard.press('End');
    await grace.page.locator('.ql-editor li').last().click();
    await grace.page.keyboard.press('End');
    await grace.page.keyboard.press('ArrowLeft');
    for (let i = 0; i < 'theme first'.length; i++) await grace.page.keyboard.press('Shift+ArrowLeft');

    const graceCursorOnAda = ada.page.locator('.ql-cursor:not(.hidden) .ql-cursor-name', {
      hasText: 'Grace Hopper',
    });
    const adaCursorOnGrace = grace.page.locator('.ql-cursor:not(.hidden) .ql-cursor-name', {
      hasText: 'Ada Lovelace',
    });
    await graceCursorOnAda.waitFor();
    await adaCursorOnGrace.waitFor();
    expect(await graceCursorOnAda.isVisible()).toBe(true);
    // Grace's selection is painted on Ada's page (quill-cursors uses the CSS Custom Highlight API).
    await expect.poll(() => highlightedText(ada.page)).toContain('theme first');
    await expect
      .poll(() => ada.page.getByTestId('people-here').getByRole('img', { name: 'Grace Hopper' }).count())
      .toBe(1);

    await screenshot(ada.page, 'editor-two-cursors-ada');
    await screenshot(grace.page, 'editor-two-cursors-grace');

    // Ada adds a paragraph above Grace's selection: on Ada's screen Grace's cursor moves down with it.
    const graceCaretOnAda = ada.page
      .locator('.ql-cursor', { hasText: 'Grace Hopper' })
      .locator('.ql-cursor-caret');
    const before = await graceCaretOnAda.boundingBox();
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('A new paragraph above the questions.');
    await expect
      .poll(async () => ((await graceCaretOnAda.boundingBox())?.y ?? 0) - (before?.y ?? 0))
      .toBeGreaterThan(10);
    expect(await grace.page.locator('.ql-editor li').last().textContent()).toBe(
      'Do we need a dark theme first?',
    );

    await suite.leave(grace);
    await graceCursorOnAda.waitFor({ state: 'detached', timeout: 20_000 });
    await expect
      .poll(() => ada.page.getByTestId('people-here').getByRole('img', { name: 'Grace Hopper' }).count())
      .toBe(0);
  });
});
