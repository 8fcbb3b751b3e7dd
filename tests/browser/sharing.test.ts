import { describe, expect, it } from 'vitest';
import { answerNamePrompt, caretTo, editorText, openDocument, waitUntilSaved } from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite();

describe('sharing (docs/SPEC.md §10)', () => {
  it('[A5] pages carry a CSP the app runs under, frame-ancestors none, nosniff and a Referrer-Policy', async () => {
    const response = await fetch(`${suite.app.baseURL}/documents/csp-check`);
    const policies = response.headers.get('content-security-policy') ?? '';
    expect(policies).toContain("script-src 'self' 'sha256-");
    expect(policies).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    // The editor loads, types and saves under it; the suite fails the test on any console error (a CSP
    // violation is one).
    const ada = await suite.person('Ada');
    await openDocument(ada, 'csp-check');
    await ada.page.locator('.ql-editor').click();
    await ada.page.keyboard.type('under a policy');
    await waitUntilSaved(ada.page);
  });

  it('[A2] [A3] the owner shares a view link: the viewer sees the live text read-only, with cursors; writes are refused', async () => {
    const id = 'shared-view';
    const owner = await suite.person('Owner');
    await openDocument(owner, id);
    await owner.page.locator('.ql-editor').click();
    await owner.page.keyboard.type('Hello');
    await waitUntilSaved(owner.page);

    // The owner restricts the document and copies the view link from the Share dialog.
    await owner.page.getByTestId('share').click();
    const dialog = owner.page.getByTestId('share-dialog');
    await dialog.getByTestId('general-access').selectOption('restricted');
    await expect
      .poll(() => dialog.getByTestId('share-message').textContent())
      .toContain('General access saved');
    await dialog.getByTestId('viewer-link').getByRole('button', { name: 'Copy' }).click();
    await expect
      .poll(() => dialog.getByTestId('viewer-link').locator('.link-state').textContent())
      .toBe('on');
    const key = await owner.page.evaluate(async (docId) => {
      const input = encodeURIComponent(JSON.stringify({ id: docId }));
      const answer = await (await fetch(`/trpc/access.get?input=${input}`)).json();
      return answer.result.data.links.viewer as string;
    }, id);
    await dialog.getByRole('button', { name: 'Done' }).click();

    // Without the link the document is not there; with it, it opens read-only and stays live.
    const stranger = await suite.person('Stranger');
    await stranger.page.goto(`/documents/${id}`);
    await answerNamePrompt(stranger);
    await stranger.page.getByText('Document not found').waitFor();

    const viewer = await suite.person('Viewer');
    await viewer.page.goto(`/documents/${id}?key=${key}`);
    await answerNamePrompt(viewer);
    await viewer.page.locator('.page[data-phase="ready"] .ql-editor[contenteditable="false"]').waitFor();
    await viewer.page.getByTestId('view-only').waitFor();
    expect(await viewer.page.getByRole('toolbar', { name: 'Formatting' }).isHidden()).toBe(true);
    expect(await viewer.page.getByTestId('share').count()).toBe(0);
    expect(await editorText(viewer.page)).toBe('Hello\n');

    await caretTo(owner.page, 'end');
    await owner.page.keyboard.type(' world');
    await expect.poll(() => editorText(viewer.page)).toBe('Hello world\n');
    // The viewer's cursor is published and the owner sees it.
    await viewer.page.locator('.ql-editor').click();
    await owner.page.locator('.ql-cursor').first().waitFor({ state: 'attached' });

    // Typing in the read-only editor changes nothing anywhere.
    await viewer.page.keyboard.type('XYZ');
    await waitUntilSaved(owner.page);
    const stored = await suite.app.api.documents.history.query({ id, fromVersion: 0 }).catch(() => undefined);
    expect(stored).toBeUndefined(); // the restricted document is not even visible to an anonymous client
    expect(await editorText(owner.page)).toBe('Hello world\n');
    expect(await editorText(viewer.page)).toBe('Hello world\n');

    // [A3] turning the link off ends the viewer's live document within seconds.
    await owner.page.getByTestId('share').click();
    await dialog.getByTestId('viewer-link').getByRole('button', { name: 'Turn off' }).click();
    await expect.poll(() => dialog.getByTestId('share-message').textContent()).toContain('Link turned off');
    await viewer.page.getByText('Document not found').waitFor();
  });
});
