import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gradientPng, largePng, scriptSvg } from '../support/images.js';
import {
  answerNamePrompt,
  caretTo,
  openDocument,
  screenshot,
  waitUntilEditable,
  waitUntilSaved,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

// A refused upload is an HTTP error, which the browser reports on the console; the page shows its message.
const suite = useBrowserSuite({
  countedErrors: (errors) =>
    errors.filter(
      (error) => !/Failed to load resource: the server responded with a status of 413/.test(error),
    ),
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Calls a tRPC mutation from the page, as the page's session. */
function mutate<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ({ procedure, input }) => {
      const answer = await fetch(`/trpc/${procedure}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      return (await answer.json()).result.data;
    },
    { procedure, input },
  );
}

/** Pastes a file into the editor the way the clipboard hands a copied picture to the page. */
async function pasteFile(page: Page, bytes: Buffer, type: string, name: string): Promise<void> {
  await page.locator('.ql-editor').evaluate(
    (editor, { base64, type, name }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type }));
      editor.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
      );
    },
    { base64: bytes.toString('base64'), type, name },
  );
}

/** The sources of the images the editor shows, once each has loaded (a broken image has no width). */
function loadedImages(page: Page): Promise<string[]> {
  return page
    .locator('.ql-editor img')
    .evaluateAll((images) =>
      (images as HTMLImageElement[])
        .filter((image) => image.complete && image.naturalWidth > 0)
        .map((image) => image.src),
    );
}

/** Every image value of the document as the server stores it, read as the page's session. */
async function storedImages(page: Page, id: string): Promise<unknown[]> {
  const ops = await page.evaluate(async (docId) => {
    const input = encodeURIComponent(JSON.stringify({ id: docId }));
    const answer = await (await fetch(`/trpc/documents.get?input=${input}`)).json();
    return answer.result.data.delta.ops as { insert?: unknown }[];
  }, id);
  return ops.flatMap((op) =>
    typeof op.insert === 'object' && op.insert !== null ? [(op.insert as { image?: unknown }).image] : [],
  );
}

describe('[H4] images in the editor', () => {
  it('[H4] an image pasted by one user appears for the other, survives reload, and is refused for a user without access', async () => {
    const id = 'image-paste';
    const ada = await suite.person('Ada');
    await openDocument(ada, id);
    await mutate(ada.page, 'access.setGeneralAccess', { id, generalAccess: 'restricted' });
    const { links } = await mutate<{ links: { editor: string } }>(ada.page, 'access.rotateLink', {
      id,
      role: 'editor',
    });
    await caretTo(ada.page, 'start');
    await ada.page.keyboard.type('Our trip to the coast');
    await ada.page.keyboard.press('Enter');

    const bob = await suite.person('Bob');
    await bob.page.goto(`/documents/${id}?key=${links.editor}`);
    await answerNamePrompt(bob);
    await waitUntilEditable(bob.page);

    const png = gradientPng(320, 180);
    const path = `/api/documents/${id}/images/${sha256(png)}`;
    await pasteFile(ada.page, png, 'image/png', 'sunset.png');
    await expect.poll(() => loadedImages(ada.page)).toEqual([`${suite.app.baseURL}${path}`]);
    await ada.page.keyboard.type('Sunset over the bay');
    await waitUntilSaved(ada.page);
    expect(await storedImages(ada.page, id)).toEqual([path]);

    // Bob came through the editor link: his page loads the image with the link's key.
    const withKey = `${suite.app.baseURL}${path}?key=${links.editor}`;
    await expect.poll(() => loadedImages(bob.page)).toEqual([withKey]);
    await expect.poll(() => bob.page.locator('.ql-editor').textContent()).toContain('Sunset over the bay');
    await screenshot(bob.page, 'image-in-document');
    await bob.page.reload();
    await waitUntilEditable(bob.page);
    await expect.poll(() => loadedImages(bob.page)).toEqual([withKey]);
    await ada.page.reload();
    await waitUntilEditable(ada.page);
    await expect.poll(() => loadedImages(ada.page)).toEqual([`${suite.app.baseURL}${path}`]);

    // Carol has neither a share nor a key: the image's address is not found for her, nor is the document.
    const carol = await suite.person('Carol');
    await carol.context.request.get('/trpc/session.me');
    expect((await carol.context.request.get(path)).status()).toBe(404);
    await carol.page.goto(`/documents/${id}`);
    await answerNamePrompt(carol);
    await carol.page.getByText('Document not found').waitFor();
  });

  it('[H4] the toolbar button uploads the picked file; a wrong type or a too-large image is refused with a message', async () => {
    const id = 'image-picker';
    const ada = await suite.person('Ada');
    await openDocument(ada, id);
    await caretTo(ada.page, 'start');
    const pick = async (name: string, mimeType: string, buffer: Buffer) => {
      const chooser = ada.page.waitForEvent('filechooser');
      await ada.page.getByRole('button', { name: 'Insert image' }).click();
      await (await chooser).setFiles({ name, mimeType, buffer });
    };
    const png = gradientPng(60, 40, [16, 185, 129], [59, 130, 246]);
    await pick('chart.png', 'image/png', png);
    await expect.poll(() => loadedImages(ada.page)).toHaveLength(1);
    await waitUntilSaved(ada.page);
    expect(await storedImages(ada.page, id)).toEqual([`/api/documents/${id}/images/${sha256(png)}`]);

    const notice = ada.page.getByRole('alert');
    await pick('logo.svg', 'image/svg+xml', scriptSvg);
    await expect
      .poll(() => notice.textContent())
      .toContain('Only PNG, JPEG, GIF and WebP images can be inserted.');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    // A PNG the server finds too large (the limit is 5 MB by default).
    await pick('huge.png', 'image/png', largePng(5.5 * 1024 * 1024));
    await expect
      .poll(() => notice.textContent(), { timeout: 30_000 })
      .toContain('That image is too large: images can be at most 5 MB.');
    expect(await storedImages(ada.page, id)).toHaveLength(1);
  });

  it('[H4] a dropped image file and pasted HTML with a data-URL image are uploaded: no data URL reaches the server', async () => {
    const id = 'image-drop';
    const ada = await suite.person('Ada');
    await openDocument(ada, id);
    await caretTo(ada.page, 'start');
    await ada.page.keyboard.type('Dropped here');
    const dropped = gradientPng(50, 50, [234, 179, 8], [220, 38, 38]);
    const box = await ada.page.locator('.ql-editor p').first().boundingBox();
    if (!box) throw new Error('the first line is not laid out');
    await ada.page.locator('.ql-editor').evaluate(
      (editor, { base64, x, y }) => {
        const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], 'dropped.png', { type: 'image/png' }));
        editor.dispatchEvent(
          new DragEvent('drop', {
            dataTransfer: transfer,
            clientX: x,
            clientY: y,
            bubbles: true,
            cancelable: true,
          }),
        );
      },
      { base64: dropped.toString('base64'), x: box.x + box.width - 2, y: box.y + box.height / 2 },
    );
    await expect.poll(() => loadedImages(ada.page)).toHaveLength(1);

    const pasted = gradientPng(30, 30, [147, 51, 234], [14, 165, 233]);
    await caretTo(ada.page, 'end');
    await ada.page.locator('.ql-editor').evaluate(
      (editor, html) => {
        const transfer = new DataTransfer();
        transfer.setData('text/html', html);
        transfer.setData('text/plain', 'From a web page');
        editor.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
        );
      },
      `<p>From a web page <img src="data:image/png;base64,${pasted.toString('base64')}"></p>`,
    );
    await expect.poll(() => loadedImages(ada.page)).toHaveLength(2);
    await waitUntilSaved(ada.page);
    expect(await storedImages(ada.page, id)).toEqual([
      `/api/documents/${id}/images/${sha256(dropped)}`,
      `/api/documents/${id}/images/${sha256(pasted)}`,
    ]);
    const history = await suite.app.api.documents.history.query({ id, fromVersion: 0 });
    expect(JSON.stringify(history.ops)).not.toContain('data:');
  });
});
