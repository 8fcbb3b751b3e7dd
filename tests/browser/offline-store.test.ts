import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { deltaText } from '../support/editing.js';
import {
  caretTo,
  editorText,
  openDocument,
  syncStatus,
  waitUntilSaved,
  withoutNetworkErrors,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite({ countedErrors: withoutNetworkErrors });

/** The edits this browser keeps for a document in IndexedDB, as JSON text ('' when there are none). */
function storedEdits(page: Page, docId: string): Promise<string> {
  return page.evaluate(
    (id) =>
      new Promise<string>((resolve, reject) => {
        const request = indexedDB.open('collab-offline-edits');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains('edits')) {
            db.close();
            resolve('');
            return;
          }
          const all = db.transaction('edits').objectStore('edits').getAll();
          all.onsuccess = () => {
            db.close();
            const records = (all.result as { docId: string }[]).filter((record) => record.docId === id);
            resolve(records.length === 0 ? '' : JSON.stringify(records));
          };
          all.onerror = () => reject(all.error);
        };
      }),
    docId,
  );
}

async function typeOffline(page: Page, lines: readonly string[]): Promise<void> {
  await caretTo(page, 'end');
  for (const line of lines) {
    await page.keyboard.press('Enter');
    await page.keyboard.type(line);
  }
}

describe('[C10] edits kept on the device', () => {
  it('[C10] a reload while offline keeps the edits, and they are sent when the document opens again', async () => {
    const id = randomUUID();
    await suite.app.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Shopping\n' }] } });
    const ada = await suite.person('Ada Lovelace');
    await openDocument(ada, id);

    await ada.context.setOffline(true);
    await syncStatus(ada.page)
      .filter({ hasText: /^\s*Offline\s*$/ })
      .waitFor();
    await typeOffline(ada.page, ['Bread', 'Milk']);
    await syncStatus(ada.page)
      .filter({ hasText: /Offline — \d+ edits? will sync/ })
      .waitFor();
    await expect.poll(() => storedEdits(ada.page, id)).toContain('Milk');

    // The reload fails without a network; the browser shows its own error page.
    await ada.page.reload().catch(() => undefined);
    await ada.context.setOffline(false);
    await openDocument(ada, id);
    await expect.poll(() => editorText(ada.page)).toBe('Shopping\nBread\nMilk\n');
    await waitUntilSaved(ada.page, 30_000);
    expect(deltaText((await suite.app.api.documents.get.query({ id })).delta)).toBe(
      'Shopping\nBread\nMilk\n',
    );
    await expect.poll(() => storedEdits(ada.page, id)).toBe('');
  });

  it('[C10] edits of a tab closed while offline reach the server when the document is next opened, once', async () => {
    const id = randomUUID();
    await suite.app.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Agenda\n' }] } });
    const grace = await suite.person('Grace Hopper');
    await openDocument(grace, id);
    await grace.context.setOffline(true);
    await typeOffline(grace.page, ['Budget']);
    await expect.poll(() => storedEdits(grace.page, id)).toContain('Budget');
    // Someone else edits meanwhile, so the kept edits are rebased on reopening.
    await suite.app.api.documents.update.mutate({ id, delta: { ops: [{ insert: 'Weekly agenda\n' }] } });
    await grace.page.close({ runBeforeUnload: false });

    await grace.context.setOffline(false);
    const page = await grace.context.newPage();
    const reopened = { ...grace, page };
    await openDocument(reopened, id);
    await expect.poll(() => editorText(page)).toBe('Weekly agenda\nBudget\n');
    await waitUntilSaved(page, 30_000);
    const stored = await suite.app.api.documents.get.query({ id });
    expect(deltaText(stored.delta)).toBe('Weekly agenda\nBudget\n');
    await expect.poll(() => storedEdits(page, id)).toBe('');
    // A second open finds nothing more to send.
    await page.reload();
    await openDocument(reopened, id);
    expect(await editorText(page)).toBe('Weekly agenda\nBudget\n');
    expect((await suite.app.api.documents.get.query({ id })).version).toBe(stored.version);
  });
});
