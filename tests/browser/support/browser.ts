/// <reference lib="dom" />
// Functions passed to page.evaluate run in the page, where DOM types apply.

/**
 * Browser harness: Debian's chromium driven by playwright-core (never a downloaded browser), pages
 * of the real web app served by the real server process, and helpers that read the editor the way
 * a person sees it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { repoRoot } from '../../support/repo.js';

export const chromiumPath = '/usr/bin/chromium';

/** Where screenshots go: `artifacts/browser` at the repository root (gitignored). */
export const artifactsDir = join(repoRoot, 'artifacts', 'browser');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `${chromiumPath} is missing: run \`node scripts/bootstrap.mjs --test\` (installs Debian's chromium)`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** One person in their own browser profile (own localStorage, own network). */
export interface Person {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught exceptions seen on the page. */
  readonly errors: string[];
}

export async function newPerson(
  browser: Browser,
  baseURL: string,
  name: string,
  viewport = { width: 1280, height: 800 },
): Promise<Person> {
  const context = await browser.newContext({ baseURL, viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return { name, context, page, errors };
}

/**
 * Opens a document and waits until it can be edited. The first visit asks for a name; it is
 * answered with the person's name (later visits remember it).
 */
export async function openDocument(person: Person, id: string): Promise<void> {
  const { page } = person;
  await createDocumentAs(person, id);
  await page.goto(`/documents/${id}`);
  await answerNamePrompt(person);
  await waitUntilEditable(page);
}

/**
 * Creates the document as `person` (their browser session owns it), with `text` as its contents, unless
 * it exists: opening never
 * creates [H3], the way the home's "New document" creates before it opens.
 */
export async function createDocumentAs(person: Person, id: string, text?: string): Promise<void> {
  const { request } = person.context;
  await request.get('/trpc/session.me');
  const delta = text === undefined ? undefined : { ops: [{ insert: `${text}\n` }] };
  const answer = await request.post('/trpc/documents.create', { data: { id, delta } });
  if (!answer.ok() && answer.status() !== 409) {
    throw new Error(`creating ${id} answered ${answer.status()}: ${await answer.text()}`);
  }
}

export async function answerNamePrompt(person: Person): Promise<void> {
  const { page } = person;
  const dialog = page.getByRole('dialog', { name: 'What’s your name?' });
  const ready = page.locator('.page[data-phase="ready"]');
  await dialog.or(ready).first().waitFor();
  if (await dialog.isVisible()) {
    await dialog.getByLabel('Your name').fill(person.name);
    await dialog.getByRole('button', { name: 'Start editing' }).click();
    await dialog.waitFor({ state: 'hidden' });
  }
}

export async function waitUntilEditable(page: Page): Promise<void> {
  await page.locator('.page[data-phase="ready"] .ql-editor[contenteditable="true"]').waitFor();
}

/** The editor's text as Quill's getText gives it: each block's text followed by a line break. */
export function editorText(page: Page): Promise<string> {
  return page.locator('.ql-editor').evaluate((root) => {
    const blocks: Element[] = [];
    for (const child of Array.from(root.children)) {
      if (child.matches('ol, ul, .ql-code-block-container')) blocks.push(...Array.from(child.children));
      else blocks.push(child);
    }
    return blocks
      .map((block) => {
        const clone = block.cloneNode(true) as Element;
        for (const ui of Array.from(clone.querySelectorAll('.ql-ui'))) ui.remove();
        return `${clone.textContent ?? ''}\n`;
      })
      .join('');
  });
}

export function syncStatus(page: Page) {
  return page.getByTestId('sync-status');
}

/** Waits until every edit made on the page has been acknowledged by the server, and the page says so. */
export async function waitUntilSaved(page: Page, timeout = 20_000): Promise<void> {
  await page
    .locator('[data-testid="sync-status"][data-pending="0"]')
    .filter({ hasText: /^\s*Saved\s*$/ })
    .waitFor({ timeout });
}

/** Puts the caret at the start or the end of the document. */
export async function caretTo(page: Page, where: 'start' | 'end'): Promise<void> {
  await page.locator('.ql-editor').click();
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * Console messages a browser prints by itself when its network is cut (the app's own errors are
 * never among them). Tests that cut the network leave these out before asserting there are none.
 */
export function withoutNetworkErrors(errors: readonly string[]): string[] {
  return errors.filter(
    (error) =>
      !/WebSocket connection to '.*' failed/.test(error) && !/Failed to load resource: net::ERR_/.test(error),
  );
}

/** Records every notice the page shows from now on (a notice hides itself after a few seconds). */
export function recordNotices(page: Page): Promise<void> {
  return page
    .addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { collabNotices: string[] }).collabNotices = seen;
      new MutationObserver(() => {
        for (const notice of Array.from(document.querySelectorAll('.notice[role="alert"]'))) {
          if (notice.hasAttribute('data-seen')) continue;
          notice.setAttribute('data-seen', '');
          seen.push(notice.textContent ?? '');
        }
      }).observe(document, { childList: true, subtree: true });
    })
    .then(() => undefined);
}

/** The notices `recordNotices` saw on the current page. */
export function noticesShown(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { collabNotices?: string[] }).collabNotices ?? []);
}
