import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { deltaText } from '../support/editing.js';
import { startLink } from '../support/proxy.js';
import { editorText, openDocument, withoutNetworkErrors } from './support/browser.js';
import { legacyText, openLegacyTab, startLegacyPageServer } from './support/legacyTab.js';
import { useBrowserSuite } from './support/suite.js';

/*
 * [C11] The seed's own client (Quill 1.3.7, behaving as LEGACY-CLIENT.md describes) next to this server:
 * two old tabs, or an old and a new tab, typing at once at the same spot or at different spots, with and
 * without 400 ms of latency on one socket. Every character typed arrives exactly once, each person's in
 * the order typed, and every tab ends equal to the server. `LEGACY_REPEAT=20` runs each case 20 times.
 */
// The old page is served from a site of its own, as the seed's dev server did: the server lets that origin
// open sockets (ALLOWED_ORIGINS), as an operator keeping the old client running would [A5].
const pages = await startLegacyPageServer();
const suite = useBrowserSuite({
  countedErrors: withoutNetworkErrors,
  env: { ALLOWED_ORIGINS: pages.baseURL },
});
afterAll(async () => {
  await pages.stop();
});

const repeat = Number(process.env.LEGACY_REPEAT ?? 1);
const lower = 'abcdefghijklmnopqrstuvwxyz';
const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

type Spot = 'same spot' | 'different spots';
type Pair = 'two old tabs' | 'an old and a new tab';

async function caretAt(page: Page, where: 'start' | 'end'): Promise<void> {
  await page.locator('.ql-editor').click();
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End');
}

async function run(pair: Pair, spot: Spot, latencyMs: number): Promise<void> {
  const id = randomUUID();
  await suite.app.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Notes\n' }] } });
  const link = await startLink(suite.app.server.port);
  onTestFinished(() => link.close());
  link.delay(latencyMs);

  const first = await suite.person('Old tab');
  await openLegacyTab(first.page, pages, id, link.port);
  const second = await suite.person(pair === 'two old tabs' ? 'Other old tab' : 'New tab');
  if (pair === 'two old tabs') await openLegacyTab(second.page, pages, id, suite.app.server.port);
  else await openDocument(second, id);

  // "Notes" is one line: typing at its end is the same spot; the other person at its start is another.
  await caretAt(first.page, 'end');
  await caretAt(second.page, spot === 'same spot' ? 'end' : 'start');
  await Promise.all([
    first.page.keyboard.type(lower, { delay: 40 }),
    second.page.keyboard.type(upper, { delay: 40 }),
  ]);

  const textOf = (page: Page, old: boolean) => (old ? legacyText(page) : editorText(page));
  const serverText = async () => deltaText((await suite.app.api.documents.get.query({ id })).delta);
  await expect
    .poll(
      async () => {
        const stored = await serverText();
        const shown = [await textOf(first.page, true), await textOf(second.page, pair === 'two old tabs')];
        return shown.every((text) => text === stored) && stored.length === 'Notes\n'.length + 52;
      },
      { timeout: 30_000, message: 'every tab equals the server with every character' },
    )
    .toBe(true);
  const stored = await serverText();
  // Every character once, each person's in the order typed ("Notes" holds an N and "otes").
  expect(stored.replace(/[^a-z]/g, '')).toBe(`otes${lower}`);
  expect(stored.replace(/[^A-Z]/g, '')).toBe(spot === 'same spot' ? `N${upper}` : `${upper}N`);
}

describe('[C11] the seed’s client next to this server', () => {
  const cases: [Pair, Spot, number][] = [];
  for (const pair of ['two old tabs', 'an old and a new tab'] as const)
    for (const spot of ['same spot', 'different spots'] as const)
      for (const latency of [0, 400]) for (let i = 0; i < repeat; i++) cases.push([pair, spot, latency]);
  it.each(cases)(
    '[C11] %s typing at the %s, %i ms latency on the old tab: nothing lost, typed order kept',
    async (pair, spot, latency) => {
      await run(pair, spot, latency);
    },
    120_000,
  );
});
