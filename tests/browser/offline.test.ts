import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deltaText } from '../support/editing.js';
import { startLink } from '../support/proxy.js';
import {
  caretTo,
  editorText,
  openDocument,
  screenshot,
  syncStatus,
  waitUntilSaved,
  withoutNetworkErrors,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

// A browser prints errors of its own when its network is cut; the app's own errors must still be none.
const suite = useBrowserSuite({ countedErrors: withoutNetworkErrors });

describe('editing without a connection', () => {
  it('[C4] edits typed while offline are kept, counted in the status line, and sent on reconnect', async () => {
    const id = randomUUID();
    await suite.app.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Packing list\nTent\n' }] } });
    // Ada reaches the server through a link the test can cut, like a network failure.
    const adaLink = await startLink(suite.app.server.port);
    // Closed once the people's browsers are (onTestFinished runs after the afterEach hooks).
    onTestFinished(() => adaLink.close());
    const ada = await suite.person('Ada Lovelace', { baseURL: `http://127.0.0.1:${adaLink.port}` });
    const grace = await suite.person('Grace Hopper');
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
    expect(deltaText((await suite.app.api.documents.get.query({ id })).delta)).toBe(expected);
    for (const person of [ada, grace]) {
      expect(withoutNetworkErrors(person.errors), `browser errors of ${person.name}`).toEqual([]);
    }
  });
});
