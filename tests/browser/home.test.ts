import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { storageKinds } from '../support/storage.js';
import { failureOf } from '../support/trpc.js';
import {
  answerNamePrompt,
  createDocumentAs,
  openDocument,
  screenshot,
  waitUntilEditable,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

describe.each(storageKinds)('documents home [H3] on %s', (kind) => {
  const suite = useBrowserSuite({ storage: kind });

  it('[H3] the home lists, searches, renames, trashes and restores, and a shared document shows for the other person', async () => {
    const ada = await suite.person('Ada Lovelace');
    const grace = await suite.person('Grace Hopper');
    const plan = `plan-${randomUUID()}`;
    const zebra = `zebra-${randomUUID()}`;
    await createDocumentAs(ada, plan, 'Garden plan');
    await createDocumentAs(ada, zebra, 'Zebra crossing survey');

    await ada.page.goto('/');
    const mine = ada.page.getByTestId('my-documents');
    await mine.getByRole('link', { name: /Garden plan/ }).waitFor();
    await mine.getByRole('link', { name: /Zebra crossing survey/ }).waitFor();
    await screenshot(ada.page, `home-${kind}`);

    await ada.page.getByLabel('Search documents by title').fill('zebra');
    await expect.poll(() => mine.getByRole('link').count()).toBe(1);
    await mine.getByRole('link', { name: /Zebra crossing survey/ }).waitFor();
    await ada.page.getByLabel('Search documents by title').fill('');
    await mine.getByRole('link', { name: /Garden plan/ }).waitFor();

    // The owner renames from the editor's header; the first line stays as it was.
    await openDocument(ada, plan);
    await ada.page.getByRole('button', { name: 'Rename “Garden plan”' }).click();
    await ada.page.getByLabel('Document title').fill('Allotment 2027');
    await ada.page.getByLabel('Document title').press('Enter');
    await ada.page.getByRole('button', { name: 'Rename “Allotment 2027”' }).waitFor();

    // Grace opens it by its address (general access "edit"): it joins her home, as shared with her.
    await openDocument(grace, plan);
    await expect
      .poll(() => grace.page.getByTestId('document-title').textContent())
      .toContain('Allotment 2027');
    await grace.page.goto('/');
    const hers = grace.page.getByTestId('my-documents');
    await hers.getByRole('link', { name: /Allotment 2027.*Shared with you/ }).waitFor();
    expect(await hers.getByRole('button', { name: /Move .* to the trash/ }).count()).toBe(0);

    // Trash: gone from both homes and from the editor; in the owner's trash until restored.
    await ada.page.goto('/');
    await ada.page.getByRole('button', { name: 'Move “Allotment 2027” to the trash' }).click();
    await expect.poll(() => mine.getByRole('link', { name: /Allotment 2027/ }).count()).toBe(0);
    await ada.page.getByRole('button', { name: 'Trash', exact: true }).click();
    const trash = ada.page.getByTestId('trash');
    await trash.getByText('Allotment 2027').waitFor();
    await screenshot(ada.page, `trash-${kind}`);
    await grace.page.goto(`/documents/${plan}`);
    await grace.page.getByText('Document not found').waitFor();

    await trash.getByRole('button', { name: 'Restore “Allotment 2027”' }).click();
    await ada.page.getByText('Nothing in the trash.').waitFor();
    await ada.page.getByRole('button', { name: 'Documents', exact: true }).click();
    await mine.getByRole('link', { name: /Allotment 2027/ }).waitFor();
    await grace.page.goto(`/documents/${plan}`);
    await waitUntilEditable(grace.page);
  });

  it('[H3] a missing id is "not found" with a Create it button, and nothing is created until it is pressed', async () => {
    const ada = await suite.person('Ada Lovelace');
    const id = `missing-${randomUUID()}`;
    await ada.page.goto(`/documents/${id}`);
    await answerNamePrompt(ada);
    await ada.page.getByRole('heading', { name: 'Document not found' }).waitFor();
    expect((await failureOf(suite.app.api.documents.get.query({ id }))).tag).toBe('DocumentNotFound');

    await ada.page.getByRole('button', { name: 'Create it' }).click();
    await waitUntilEditable(ada.page);
    await ada.page.keyboard.type('Made on purpose');
    await expect
      .poll(async () => (await suite.app.api.documents.get.query({ id })).delta)
      .toEqual({ ops: [{ insert: 'Made on purpose\n' }] });
  });
});
