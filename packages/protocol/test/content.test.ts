import { describe, expect, it } from 'vitest';
import {
  clientIdBelongsTo,
  deltaContentProblem,
  editorFormats,
  sanitizeDocumentOps,
  unknownEmbedText,
} from '../src/index.js';

describe('content allowlist', () => {
  it('[A7] [H4] accepts what the editor makes: text formats, blocks, links, colours, uploaded and https images', () => {
    const ops = [
      { insert: 'bold', attributes: { bold: true, italic: true, underline: true, strike: true } },
      { insert: 'link', attributes: { link: 'https://example.com/a?b=c' } },
      { insert: 'mail', attributes: { link: 'mailto:a@example.com' } },
      { insert: 'call', attributes: { link: 'tel:+123' } },
      { insert: 'red', attributes: { color: '#e60000', background: 'rgb(1, 2, 3)' } },
      { insert: 'named', attributes: { color: 'red' } },
      { insert: '\n', attributes: { header: 2 } },
      { insert: '\n', attributes: { list: 'checked', indent: 3, align: 'center' } },
      { insert: '\n', attributes: { 'code-block': true } },
      { insert: { image: 'https://example.com/a.png' } },
      { insert: { image: `/api/documents/doc-1/images/${'ab'.repeat(32)}` } },
      { retain: 3, attributes: { bold: null, link: null } },
      { delete: 2 },
    ];
    expect(deltaContentProblem(ops)).toBeUndefined();
  });

  it.each([
    [{ insert: { formula: 'x' } }, 'the embed "formula" is not supported'],
    [{ insert: { video: 'https://example.com' } }, 'the embed "video" is not supported'],
    [{ insert: { bogus: true } }, 'the embed "bogus" is not supported'],
    [{ insert: { image: 'javascript:alert(1)' } }, "the image embed's value is not allowed"],
    [{ insert: { image: 'http://example.com/a.png' } }, "the image embed's value is not allowed"],
    [{ insert: { image: '//evil.example/a.png' } }, "the image embed's value is not allowed"],
    [{ insert: { image: '/uploads/a.png' } }, "the image embed's value is not allowed"],
    [{ insert: { image: '/api/documents/d/export?format=docx' } }, "the image embed's value is not allowed"],
    [
      { insert: { image: `/api/documents/d/images/${'AB'.repeat(32)}` } },
      "the image embed's value is not allowed",
    ],
    [{ insert: { image: 'data:image/png;base64,iVBORw0KGgo=' } }, "the image embed's value is not allowed"],
    [
      { insert: 'x', attributes: { link: 'javascript:alert(1)' } },
      'the value of the format "link" is not allowed',
    ],
    [
      { insert: 'x', attributes: { link: 'data:text/html,x' } },
      'the value of the format "link" is not allowed',
    ],
    [
      { insert: 'x', attributes: { color: 'red; background: url(x)' } },
      'the value of the format "color" is not allowed',
    ],
    [{ insert: '\n', attributes: { header: 7 } }, 'the value of the format "header" is not allowed'],
    [{ insert: '\n', attributes: { list: 'roman' } }, 'the value of the format "list" is not allowed'],
    [{ insert: 'x', attributes: { bold: 'yes' } }, 'the value of the format "bold" is not allowed'],
    [{ retain: 1, attributes: { onclick: 'x' } }, 'the format "onclick" is not supported'],
  ])('[A7] refuses %j', (op, problem) => {
    expect(deltaContentProblem([op])).toBe(`op 0: ${problem}`);
  });

  it('[A7] a stored document with unknown parts still renders: embeds become one placeholder character, bad formats go', () => {
    const { ops, dropped } = sanitizeDocumentOps([
      { insert: 'a', attributes: { bold: true, bogus: 1 } },
      { insert: { formula: 'x' } },
      { insert: { image: 'https://example.com/a.png' } },
      { insert: '\n', attributes: { header: 9 } },
    ]);
    expect(ops).toEqual([
      { insert: 'a', attributes: { bold: true } },
      { insert: unknownEmbedText },
      { insert: { image: 'https://example.com/a.png' } },
      { insert: '\n' },
    ]);
    expect(dropped).toBe(3);
    expect(deltaContentProblem(ops)).toBeUndefined();
  });

  it('[A7] the editor registers exactly the allowlisted names', () => {
    expect(editorFormats).toContain('image');
    expect(editorFormats).not.toContain('formula');
    expect(editorFormats).not.toContain('video');
  });
});

describe('identity binding', () => {
  it('[A4] a clientId belongs to the authorId it starts with, followed by a dot', () => {
    expect(clientIdBelongsTo('s-abc.tab1', 's-abc')).toBe(true);
    expect(clientIdBelongsTo('s-abcd.tab1', 's-abc')).toBe(false);
    expect(clientIdBelongsTo('s-abc.', 's-abc')).toBe(false);
    expect(clientIdBelongsTo('s-abc', 's-abc')).toBe(false);
    expect(clientIdBelongsTo('anon.x', 's-abc')).toBe(false);
  });
});
