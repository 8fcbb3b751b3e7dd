import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deltaText } from '../support/editing.js';
import {
  answerNamePrompt,
  caretTo,
  createDocumentAs,
  openDocument,
  screenshot,
  syncStatus,
  waitUntilEditable,
  waitUntilSaved,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite();

const uuidPath = /\/documents\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('home page', () => {
  it('[H3] creates a new document, then lists it under my documents with its first line as title', async () => {
    const ada = await suite.person('Ada Lovelace');
    const { page } = ada;
    await page.goto('/');
    await page.getByText('Documents you create or open will appear here.').waitFor();
    await screenshot(page, 'home-empty');

    await page.getByRole('button', { name: 'New document' }).click();
    await page.waitForURL(uuidPath);
    await answerNamePrompt(ada);
    await waitUntilEditable(page);
    // A new document is ready to type into, without a click.
    await page.keyboard.type('Trip to Lisbon');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('document-title').textContent()).toBe('Trip to Lisbon');
    expect(await page.title()).toBe('Trip to Lisbon — Collab Docs');
    const documentUrl = page.url();
    const id = documentUrl.split('/').pop() ?? '';

    // Leaving right after typing waits for the last edits to be saved instead of dropping them.
    await page.keyboard.type('Day one: Alfama');
    await page.getByRole('link', { name: 'All documents' }).click();
    const mine = page.getByTestId('my-documents');
    await mine.getByRole('link').first().waitFor();
    expect(deltaText((await suite.app.api.documents.get.query({ id })).delta)).toBe(
      'Trip to Lisbon\nDay one: Alfama\n',
    );
    // The home records the first line shortly after the edits.
    await expect
      .poll(
        async () => {
          await page.reload();
          return mine.getByRole('link', { name: /Trip to Lisbon/ }).count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    await mine.getByRole('link', { name: /Trip to Lisbon/ }).click();
    await page.waitForURL(documentUrl);
    await waitUntilEditable(page);
  });

  it('opens a document from a pasted link or id, and says what is wrong with anything else', async () => {
    const ada = await suite.person('Ada Lovelace');
    const { page } = ada;
    await page.goto('/');
    const field = page.getByLabel('Open a document');

    await field.fill('not a document!');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'A document id is 1–128 letters' }).waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');

    await createDocumentAs(ada, 'pasted-link_42');
    await field.fill(`${suite.app.baseURL}/documents/pasted-link_42?from=chat`);
    await field.press('Enter');
    await page.waitForURL(/\/documents\/pasted-link_42$/);
    await openDocument(ada, 'pasted-link_42');

    await page.goto('/');
    await page.getByLabel('Open a document').fill('typed-id');
    await page.getByLabel('Open a document').press('Enter');
    await page.waitForURL(/\/documents\/typed-id$/);
  });
});

describe('editor page', () => {
  it('explains an address whose id is not a document id', async () => {
    const { page, errors } = await suite.person('Ada Lovelace');
    const response = await page.goto('/documents/not%20an%20id!');
    expect(response?.status()).toBe(400);
    await page.getByRole('heading', { name: 'This link doesn’t point to a document' }).waitFor();
    await page.getByRole('link', { name: 'Go to your documents' }).waitFor();
    // The browser reports the 400 of the page itself; that is the point of this page, not an app error.
    errors.splice(0);
  });

  it('says when the server cannot be reached, and opens the document once it answers', async () => {
    const ada = await suite.person('Ada Lovelace');
    let reachable = false;
    await ada.context.routeWebSocket(/\/trpc$/, (ws) => {
      if (reachable) ws.connectToServer();
      else void ws.close({ code: 1001, reason: 'server away' });
    });
    const id = randomUUID();
    await createDocumentAs(ada, id);
    await ada.page.goto(`/documents/${id}`);
    await answerNamePrompt(ada);
    await ada.page.getByRole('heading', { name: 'Can’t reach the server' }).waitFor({ timeout: 30_000 });
    await screenshot(ada.page, 'editor-unreachable');

    reachable = true;
    await ada.page.getByRole('button', { name: 'Try again now' }).click();
    await waitUntilEditable(ada.page);
    await waitUntilSaved(ada.page);
  });

  it('asks for a name once, remembers it, and lets people change it', async () => {
    const id = randomUUID();
    const ada = await suite.person('Ada');
    const grace = await suite.person('Grace Hopper');
    await createDocumentAs(ada, id);
    await ada.page.goto(`/documents/${id}`);
    await ada.page.getByRole('dialog', { name: 'What’s your name?' }).waitFor();
    await screenshot(ada.page, 'name-dialog');
    await openDocument(ada, id);
    await openDocument(grace, id);

    await ada.page.reload();
    await waitUntilEditable(ada.page);
    expect(await ada.page.getByRole('dialog').count()).toBe(0);
    await grace.page.getByTestId('people-here').getByRole('img', { name: 'Ada' }).waitFor();

    await ada.page.getByRole('button', { name: 'Ada (you). Change your name' }).click();
    const dialog = ada.page.getByRole('dialog', { name: 'Change your name' });
    await dialog.getByLabel('Your name').fill('Ada Lovelace');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await ada.page.getByRole('button', { name: 'Ada Lovelace (you). Change your name' }).waitFor();
    await grace.page.getByTestId('people-here').getByRole('img', { name: 'Ada Lovelace' }).waitFor();
  });

  it('copies a link to the document', async () => {
    const ada = await suite.person('Ada Lovelace');
    await ada.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.app.baseURL });
    const id = randomUUID();
    await openDocument(ada, id);
    await ada.page.getByRole('button', { name: 'Copy link' }).click();
    await ada.page.getByRole('button', { name: 'Link copied' }).waitFor();
    expect(await ada.page.evaluate(() => navigator.clipboard.readText())).toBe(
      `${suite.app.baseURL}/documents/${id}`,
    );
  });

  it('lays out the toolbar above the page, not over it, on a desktop and on a phone', async () => {
    for (const [label, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const reader = await suite.person(`Reader ${label}`, { viewport });
      await openDocument(reader, 'layout-check');
      await caretTo(reader.page, 'start');
      const header = await reader.page.locator('.doc-header').boundingBox();
      const toolbar = await reader.page.getByRole('toolbar', { name: 'Formatting' }).boundingBox();
      const editor = await reader.page.locator('.ql-editor').boundingBox();
      if (!header || !toolbar || !editor) throw new Error(`${label}: editor parts are not laid out`);
      expect(toolbar.y, label).toBeGreaterThanOrEqual(header.y + header.height - 1);
      expect(editor.y, label).toBeGreaterThanOrEqual(toolbar.y + toolbar.height - 1);
      expect(toolbar.x + toolbar.width, label).toBeLessThanOrEqual(viewport.width + 1);
      expect(await syncStatus(reader.page).isVisible(), label).toBe(true);
      await screenshot(reader.page, `editor-${label}`);
    }
  });

  it('is rendered on the server without errors, Quill loading only in the browser', async () => {
    const pages = [
      { path: '/', status: 200, text: 'Write together, in real time' },
      { path: '/documents/server-rendered', status: 200, text: 'aria-label="Formatting"' },
      { path: '/documents/bad%20id', status: 400, text: 'is not a document id' },
    ];
    for (const { path, status, text } of pages) {
      const response = await fetch(`${suite.app.baseURL}${path}`);
      expect(response.status, path).toBe(status);
      expect(await response.text(), path).toContain(text);
    }
    expect(suite.app.server.output()).not.toMatch(/"level":"error"|document is not defined|Error:/);
  });
});
