import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CuttableLink, startLink } from '../support/proxy.js';
import {
  caretTo,
  deltaText,
  editorText,
  launchBrowser,
  newPerson,
  openDocument,
  type Person,
  screenshot,
  syncStatus,
  waitUntilSaved,
  withoutNetworkErrors,
} from './support/browser.js';
import { type AppServer, startAppServer } from './support/server.js';

let app: AppServer;
let browser: Browser;
let people: Person[] = [];
let links: CuttableLink[] = [];

beforeAll(async () => {
  app = await startAppServer();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

afterEach(async () => {
  for (const person of people) await person.context.close();
  for (const link of links) await link.close();
  people = [];
  links = [];
});

describe('editing without a connection', () => {
  it('[C4] edits typed while offline are kept, counted in the status line, and sent on reconnect', async () => {
    const id = randomUUID();
    await app.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Packing list\nTent\n' }] } });
    // Ada reaches the server through a link the test can cut, like a network failure.
    const adaLink = await startLink(app.server.port);
    links.push(adaLink);
    const ada = await newPerson(browser, `http://127.0.0.1:${adaLink.port}`, 'Ada Lovelace');
    const grace = await newPerson(browser, app.baseURL, 'Grace Hopper');
    people.push(ada, grace);
    await openDocument(ada, id);
    await openDocument(grace, id);
    await caretTo(ada.page, 'end');

    // The server goes away while the browser still has a network: the client keeps trying.
    adaLink.cut();
    await syncStatus(ada.page).filter({ hasText: 'Reconnecting…' }).waitFor();

    // Then the network goes too; typing goes on and the status line counts what will sync.
    await ada.context.setOffline(true);
    await syncStatus(ada.page)
      .filter({ hasText: /^\s*Offline\s*$/ })
      .waitFor();
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('Sleeping bag');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('Stove');
    await syncStatus(ada.page)
      .filter({ hasText: /Offline — \d+ edits? will sync/ })
      .waitFor();
    expect(await editorText(ada.page)).toBe('Packing list\nTent\nSleeping bag\nStove\n');
    await screenshot(ada.page, 'editor-offline');

    // Meanwhile Grace keeps editing online.
    await caretTo(grace.page, 'start');
    await grace.page.keyboard.type('Weekend ');
    await waitUntilSaved(grace.page);
    expect(await editorText(ada.page)).not.toContain('Weekend');
    expect(await editorText(grace.page)).not.toContain('Stove');

    await ada.context.setOffline(false);
    adaLink.restore();

    const expected = 'Weekend Packing list\nTent\nSleeping bag\nStove\n';
    await expect.poll(() => editorText(ada.page), { timeout: 30_000 }).toBe(expected);
    await expect.poll(() => editorText(grace.page), { timeout: 30_000 }).toBe(expected);
    await waitUntilSaved(ada.page, 30_000);
    expect(deltaText((await app.api.documents.get.query({ id })).delta)).toBe(expected);
    for (const person of people) {
      expect(withoutNetworkErrors(person.errors), `browser errors of ${person.name}`).toEqual([]);
    }
  });
});
