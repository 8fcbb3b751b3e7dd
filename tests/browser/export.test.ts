import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DeltaJson } from '@collab/protocol';
import mammoth from 'mammoth';
import { marked } from 'marked';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dataUrl, gifPixel } from '../support/images.js';
import { answerNamePrompt, openDocument, screenshot, waitUntilEditable } from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

/** The home page, once its script runs: until then the import button is disabled. */
async function openHome(page: Page) {
  await page.goto('/');
  await expect.poll(() => page.getByTestId('import-file').isEnabled()).toBe(true);
}

const suite = useBrowserSuite();

/** A 1×1 GIF, given as a data URL: the server stores it as an upload of the document [H4]. */
const pixel = dataUrl(gifPixel, 'image/gif');

/** Every format the exports must carry. */
const richDocument: DeltaJson = {
  ops: [
    { insert: 'Quarterly report' },
    { insert: '\n', attributes: { header: 1 } },
    { insert: 'Intro with ' },
    { insert: 'bold', attributes: { bold: true } },
    { insert: ', ' },
    { insert: 'italic', attributes: { italic: true } },
    { insert: ', ' },
    { insert: 'struck', attributes: { strike: true } },
    { insert: ', ' },
    { insert: 'red', attributes: { color: '#e60000' } },
    { insert: ' and a ' },
    { insert: 'link', attributes: { link: 'https://example.com/' } },
    { insert: '.' },
    { insert: '\n', attributes: { align: 'center' } },
    { insert: 'First' },
    { insert: '\n', attributes: { list: 'bullet' } },
    { insert: 'Nested' },
    { insert: '\n', attributes: { list: 'bullet', indent: 1 } },
    { insert: 'Second' },
    { insert: '\n', attributes: { list: 'bullet' } },
    { insert: 'Quoted words' },
    { insert: '\n', attributes: { blockquote: true } },
    { insert: 'const x = 1;' },
    { insert: '\n', attributes: { 'code-block': 'plain' } },
    { insert: { image: pixel } },
    { insert: '\n' },
  ],
};

interface Structure {
  heading: string | undefined;
  nested: string | undefined;
  bold: string[];
  italic: string[];
  struck: string[];
  links: string[];
  quote: string | undefined;
  code: string | undefined;
  images: number;
  centred: boolean;
  red: boolean;
}

/** Parses HTML in the browser and reads back the structure of `richDocument`. */
function structureOf(page: Page, html: string): Promise<Structure> {
  return page.evaluate((source) => {
    const doc = new DOMParser().parseFromString(source, 'text/html');
    const texts = (selector: string) =>
      Array.from(doc.querySelectorAll(selector), (el) => el.textContent ?? '');
    return {
      heading: doc.querySelector('h1')?.textContent ?? undefined,
      nested: doc.querySelector('ul li ul li, ol li ol li')?.textContent ?? undefined,
      bold: texts('strong, b'),
      italic: texts('em, i'),
      struck: texts('s, del, strike'),
      links: Array.from(doc.querySelectorAll('a'), (a) => a.getAttribute('href') ?? ''),
      quote: doc.querySelector('blockquote')?.textContent?.trim(),
      code: doc.querySelector('pre')?.textContent?.trim(),
      images: doc.querySelectorAll('img').length,
      centred: Array.from(doc.querySelectorAll('p')).some((p) => p.style.textAlign === 'center'),
      red: Array.from(doc.querySelectorAll('[style]')).some(
        (el) => (el as HTMLElement).style.color === 'rgb(230, 0, 0)',
      ),
    };
  }, html);
}

/** Downloads one format through the File menu. */
async function download(page: Page, label: RegExp): Promise<{ name: string; body: Buffer }> {
  await page.getByRole('button', { name: 'File' }).click();
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: label }).click(),
  ]);
  const path = await file.path();
  return { name: file.suggestedFilename(), body: await readFile(path) };
}

describe('[H2] export, import and print in the browser', () => {
  it('[H2] the File menu downloads HTML, Markdown, DOCX and text that parse back with the document’s structure', async () => {
    const id = randomUUID();
    await suite.app.api.documents.create.mutate({ id, delta: richDocument });
    const ada = await suite.person('Ada Lovelace');
    await openDocument(ada, id);
    await ada.page.getByRole('button', { name: 'File' }).click();
    await screenshot(ada.page, 'file-menu');
    await ada.page.keyboard.press('Escape');

    const html = await download(ada.page, /Web page/);
    expect(html.name).toBe(`${id}.html`);
    expect(await structureOf(ada.page, html.body.toString('utf8'))).toEqual({
      heading: 'Quarterly report',
      nested: 'Nested',
      bold: ['bold'],
      italic: ['italic'],
      struck: ['struck'],
      links: ['https://example.com/'],
      quote: 'Quoted words',
      code: 'const x = 1;',
      images: 1,
      centred: true,
      red: true,
    });

    const markdown = await download(ada.page, /Markdown/);
    expect(markdown.name).toBe(`${id}.md`);
    const fromMarkdown = await structureOf(ada.page, await marked.parse(markdown.body.toString('utf8')));
    // Markdown has no colours or alignment.
    expect(fromMarkdown).toEqual({
      heading: 'Quarterly report',
      nested: 'Nested',
      bold: ['bold'],
      italic: ['italic'],
      struck: ['struck'],
      links: ['https://example.com/'],
      quote: 'Quoted words',
      code: 'const x = 1;',
      images: 1,
      centred: false,
      red: false,
    });

    const docx = await download(ada.page, /Word/);
    expect(docx.name).toBe(`${id}.docx`);
    const fromDocx = await structureOf(ada.page, (await mammoth.convertToHtml({ buffer: docx.body })).value);
    // mammoth reads structure, not looks: no colours, alignment, quote or code styles; images are links.
    expect(fromDocx).toMatchObject({
      heading: 'Quarterly report',
      nested: 'Nested',
      bold: ['bold'],
      italic: ['italic'],
      struck: ['struck'],
      links: expect.arrayContaining(['https://example.com/']),
    });

    const text = await download(ada.page, /Plain text/);
    expect(text.body.toString('utf8')).toBe(
      'Quarterly report\nIntro with bold, italic, struck, red and a link.\n- First\n  - Nested\n- Second\nQuoted words\nconst x = 1;\n\n',
    );

    // The same files over HTTP (as an attachment) and over tRPC.
    const response = await fetch(`${suite.app.baseURL}/api/documents/${id}/export?format=txt`);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${id}.txt"`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(text.body);
    const viaTrpc = await suite.app.api.export.document.query({ id, format: 'docx' });
    expect(viaTrpc).toMatchObject({ fileName: `${id}.docx`, encoding: 'base64' });
    const bad = await fetch(`${suite.app.baseURL}/api/documents/${id}/export?format=pdf`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('format must be one of');
  });

  it('[H2] importing DOCX, Markdown and HTML on the home page round-trips headings, lists, bold and links', async () => {
    const source = randomUUID();
    await suite.app.api.documents.create.mutate({ id: source, delta: richDocument });
    const docx = await suite.app.api.export.document.query({ id: source, format: 'docx' });
    const files = [
      { name: 'report.docx', mimeType: 'application/octet-stream', buffer: Buffer.from(docx.data, 'base64') },
      {
        name: 'report.md',
        mimeType: 'text/markdown',
        buffer: Buffer.from(
          '# Quarterly report\n\nIntro with **bold** and a [link](https://example.com/).\n\n- First\n  - Nested\n- Second\n',
        ),
      },
      {
        name: 'report.html',
        mimeType: 'text/html',
        buffer: Buffer.from(
          '<h1>Quarterly report</h1><p>Intro with <b>bold</b> and a <a href="https://example.com/">link</a>.</p><ul><li>First<ul><li>Nested</li></ul></li><li>Second</li></ul><script>document.title = "ran"</script>',
        ),
      },
    ];
    const ada = await suite.person('Ada Lovelace');
    for (const file of files) {
      await openHome(ada.page);
      await ada.page.getByTestId('import-file').setInputFiles(file);
      await ada.page.waitForURL(/\/documents\//);
      await answerNamePrompt(ada);
      await waitUntilEditable(ada.page);
      const id = decodeURIComponent(new URL(ada.page.url()).pathname.split('/').pop() ?? '');
      const { ops } = (await suite.app.api.documents.get.query({ id })).delta;
      const lineFormats = ops.flatMap((op) => ('attributes' in op && op.attributes ? [op.attributes] : []));
      expect(lineFormats, file.name).toContainEqual({ header: 1 });
      expect(lineFormats, file.name).toContainEqual({ list: 'bullet', indent: 1 });
      expect(ops, file.name).toContainEqual({ insert: 'bold', attributes: { bold: true } });
      expect(ops, file.name).toContainEqual({ insert: 'link', attributes: { link: 'https://example.com/' } });
      expect(ops.map((op) => ('insert' in op ? op.insert : '')).join(''), file.name).toContain('Nested');
      expect(await ada.page.title()).not.toBe('ran');
    }
  });

  it('[H2] import refuses files over 5 MB and files of other kinds, and creates nothing', async () => {
    const ada = await suite.person('Ada Lovelace');
    await openHome(ada.page);
    const input = ada.page.getByTestId('import-file');
    await input.setInputFiles({
      name: 'huge.md',
      mimeType: 'text/markdown',
      buffer: Buffer.alloc(6 * 1024 * 1024, 'a'),
    });
    await expect
      .poll(() => ada.page.getByRole('alert').textContent())
      .toContain('files up to 5 MB can be imported');
    await input.setInputFiles({
      name: 'sheet.xlsx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('x'),
    });
    await expect.poll(() => ada.page.getByRole('alert').textContent()).toContain('Choose a Word (.docx)');
    expect(new URL(ada.page.url()).pathname).toBe('/');
  });

  it('[H2] printing a long document gives every page of it, with the page margins and no header or toolbar', async () => {
    const id = randomUUID();
    const paragraph = (n: number) =>
      `Paragraph ${n}: the quick brown fox jumps over the lazy dog, and keeps on running across the field until the evening comes.\n`;
    const text = Array.from({ length: 400 }, (_, n) => paragraph(n + 1)).join('');
    await suite.app.api.documents.create.mutate({ id, delta: { ops: [{ insert: text }] } });
    const ada = await suite.person('Ada Lovelace');
    await openDocument(ada, id);

    // Lay the page out at the printed width (A4 less the side margins) to know how tall the text is.
    const a4 = { width: 793.7, height: 1122.5 };
    const margin = { side: 88, top: 72 };
    await ada.page.emulateMedia({ media: 'print' });
    await ada.page.setViewportSize({ width: Math.round(a4.width - 2 * margin.side), height: 800 });
    expect(await ada.page.locator('.toolbar').isVisible()).toBe(false);
    expect(await ada.page.locator('.doc-header').isVisible()).toBe(false);
    const textHeight = await ada.page.locator('.ql-editor').evaluate((el) => el.scrollHeight);
    const expectedPages = Math.ceil(textHeight / (a4.height - 2 * margin.top));

    const pdf = await ada.page.pdf({ format: 'A4' });
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g)?.length ?? 0;
    expect(expectedPages).toBeGreaterThan(10);
    expect(pages).toBeGreaterThanOrEqual(expectedPages);
    expect(pages).toBeLessThanOrEqual(expectedPages + 1);
  });
});
