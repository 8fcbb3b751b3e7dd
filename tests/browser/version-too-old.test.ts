import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deltaText } from '../support/editing.js';
import {
  caretTo,
  editorText,
  noticesShown,
  openDocument,
  recordNotices,
  syncStatus,
  waitUntilSaved,
  withoutNetworkErrors,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

// The server rebases a change over at most the last three versions: past that, VersionTooOld [L1].
const suite = useBrowserSuite({ countedErrors: withoutNetworkErrors, env: { RECENT_OPS_WINDOW: '3' } });

describe('[L1] an editor far behind the rebase window', () => {
  it('[L1] edits made while many versions were committed meanwhile are caught up and kept: nothing typed is lost', async () => {
    const id = randomUUID();
    const ada = await suite.person('Ada Lovelace');
    const grace = await suite.person('Grace Hopper');
    await recordNotices(ada.page);
    await openDocument(ada, id);
    await openDocument(grace, id);
    await caretTo(ada.page, 'end');
    await ada.page.keyboard.type('Agenda');
    await waitUntilSaved(ada.page);

    await ada.context.setOffline(true);
    await syncStatus(ada.page)
      .filter({ hasText: /^\s*Offline\s*$/ })
      .waitFor();
    await ada.page.keyboard.type(' for Monday');

    // Grace commits one version per word, far more than the window, while Ada is away.
    await caretTo(grace.page, 'start');
    for (const word of ['One ', 'two ', 'three ', 'four ', 'five ', 'six ']) {
      await grace.page.keyboard.type(word);
      await waitUntilSaved(grace.page);
    }
    const head = await suite.app.api.documents.get.query({ id });
    expect(head.version).toBeGreaterThan(6);

    await ada.context.setOffline(false);
    const expected = 'One two three four five six Agenda for Monday\n';
    await expect.poll(() => editorText(ada.page), { timeout: 30_000 }).toBe(expected);
    await expect.poll(() => editorText(grace.page), { timeout: 30_000 }).toBe(expected);
    await waitUntilSaved(ada.page, 30_000);
    expect(deltaText((await suite.app.api.documents.get.query({ id })).delta)).toBe(expected);
    // Caught up quietly: nothing was refused or reset.
    expect(await noticesShown(ada.page)).toEqual([]);
  });
});
