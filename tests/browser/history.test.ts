import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
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

async function openHistory(page: Page) {
  await page.getByRole('button', { name: 'File' }).click();
  await page.getByRole('menuitem', { name: /Version history/ }).click();
  const panel = page.getByRole('dialog', { name: 'Version history' });
  await panel.locator('.version').first().waitFor();
  return panel;
}

/** The text of the read-only preview. */
function previewText(page: Page): Promise<string> {
  return page
    .getByTestId('history-preview')
    .locator('.ql-editor')
    .evaluate((root) => root.textContent ?? '');
}

/** The colour a person picked, as the editor keeps it. */
function colorOf(person: Person): Promise<string> {
  return person.page.evaluate(
    () => JSON.parse(localStorage.getItem('collab:identity') ?? '{}').color as string,
  );
}

/** Gives a person a remembered name and colour before their first visit, as a returning user has. */
async function withIdentity(person: Person, color: string): Promise<void> {
  await person.context.addInitScript(
    ([name, color]) => localStorage.setItem('collab:identity', JSON.stringify({ name, color })),
    [person.name, color] as const,
  );
}

async function converged(...persons: Person[]): Promise<string> {
  await expect
    .poll(async () => new Set(await Promise.all(persons.map((p) => editorText(p.page)))).size, {
      timeout: 20_000,
    })
    .toBe(1);
  for (const person of persons) await waitUntilSaved(person.page);
  return editorText(persons[0]!.page);
}

describe('[H1] version history in the browser', () => {
  it('[H1] history lists the session with both authors, previews a version with its changes, names it, and restore brings it back for both', async () => {
    const id = randomUUID();
    await suite.app.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Plan\n' }] } });
    const ada = await suite.person('Ada Lovelace');
    const grace = await suite.person('Grace Hopper');
    // Both picked the same colour (the palette is small): their changes must still show apart.
    for (const person of [ada, grace]) await withIdentity(person, '#1a73e8');
    await openDocument(ada, id);
    await openDocument(grace, id);

    await caretTo(ada.page, 'end');
    await ada.page.keyboard.type(' by Ada.');
    await waitUntilSaved(ada.page);
    await caretTo(grace.page, 'end');
    await grace.page.keyboard.type(' Reviewed by Grace.');
    const draft = await converged(ada, grace);
    expect(draft).toBe('Plan by Ada. Reviewed by Grace.\n');

    // The session lists both authors, by the names and colours they show in the editor.
    const panel = await openHistory(ada.page);
    const newest = panel.locator('.version').first();
    await expect
      .poll(() => newest.locator('.author').allTextContents())
      .toEqual(['Ada Lovelace', 'Grace Hopper']);
    const dots = await newest.locator('.dot').evaluateAll((els) =>
      els.map((el) => {
        const [r, g, b] = (getComputedStyle(el).backgroundColor.match(/\d+/g) ?? []).map(Number);
        return `#${[r, g, b].map((n) => (n ?? 0).toString(16).padStart(2, '0')).join('')}`;
      }),
    );
    expect(dots).toEqual([await colorOf(ada), await colorOf(grace)]);
    // The preview marks what this session inserted (tinted and underlined).
    await expect.poll(() => previewText(ada.page)).toBe('Plan by Ada. Reviewed by Grace.');
    expect(await panel.getByTestId('history-preview').locator('u').allTextContents()).toEqual([
      ' by Ada.',
      ' Reviewed by Grace.',
    ]);
    // Each marked change names its author on hover.
    expect(
      await panel
        .getByTestId('history-preview')
        .locator('[title]')
        .evaluateAll((els) => els.map((el) => el.getAttribute('title'))),
    ).toEqual(['Added by Ada Lovelace', 'Added by Grace Hopper']);

    await panel.getByRole('button', { name: 'Name this version' }).click();
    await panel.getByLabel('Version name').fill('First draft');
    await panel.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => panel.locator('.version-name').allTextContents()).toEqual(['First draft']);
    await panel.getByRole('button', { name: 'Back to editing' }).click();

    // Grace replaces the text; the named version stays an entry of its own.
    await grace.page.locator('.ql-editor').click();
    await grace.page.keyboard.press('Control+A');
    await grace.page.keyboard.type('Scrapped');
    expect(await converged(ada, grace)).toBe('Scrapped\n');

    await ada.page.keyboard.press('Control+Alt+Shift+H');
    const again = ada.page.getByRole('dialog', { name: 'Version history' });
    await expect.poll(() => again.locator('.version').count()).toBe(2);
    // The newest entry shows what Grace deleted struck through and what she typed underlined.
    const preview = again.getByTestId('history-preview');
    await expect
      .poll(() => preview.locator('s').allTextContents())
      .toEqual(['Plan by Ada. Reviewed by Grace.']);
    expect(await preview.locator('u').allTextContents()).toEqual(['Scrapped']);
    await screenshot(ada.page, 'history-changes');
    await again.locator('.version', { hasText: 'First draft' }).click();
    await expect.poll(() => previewText(ada.page)).toBe('Plan by Ada. Reviewed by Grace.');
    await screenshot(ada.page, 'history-panel');

    await again.getByRole('button', { name: 'Restore this version' }).click();
    await again.waitFor({ state: 'hidden' });
    expect(await converged(ada, grace)).toBe(draft);
    expect((await suite.app.api.documents.get.query({ id })).delta.ops).toEqual([
      { insert: 'Plan by Ada. Reviewed by Grace.\n' },
    ]);

    // The restore is in history too, under the name of the person who restored.
    const afterRestore = await openHistory(grace.page);
    const restored = afterRestore.locator('.version').first();
    await expect.poll(() => restored.textContent()).toContain('Restored');
    expect(await restored.locator('.author').allTextContents()).toEqual(['Ada Lovelace']);
  });
});
