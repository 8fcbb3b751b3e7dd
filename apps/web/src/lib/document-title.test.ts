import { describe, expect, it } from 'vitest';
import { displayTitle, MAX_TITLE_LENGTH, titleFromOps, titleFromText, UNTITLED } from './document-title';

describe('titleFromText', () => {
  it('is the first line', () => {
    expect(titleFromText('Meeting notes\nAgenda\n')).toBe('Meeting notes');
  });

  it('collapses and trims whitespace', () => {
    expect(titleFromText('  Roadmap \t 2025  \nmore')).toBe('Roadmap 2025');
  });

  it('is empty for an empty document', () => {
    expect(titleFromText('\n')).toBe('');
  });

  it('shortens a long first line at a word boundary', () => {
    const title = titleFromText(`${'word '.repeat(40)}\n`);
    expect(title.length).toBeLessThanOrEqual(MAX_TITLE_LENGTH + 1);
    expect(title.endsWith('word…')).toBe(true);
  });

  it('cuts a long line without spaces', () => {
    expect(titleFromText('x'.repeat(200))).toBe(`${'x'.repeat(MAX_TITLE_LENGTH)}…`);
  });
});

describe('titleFromOps', () => {
  it('joins formatted runs of the first line', () => {
    const ops = [
      { insert: 'Quarterly ' },
      { insert: 'plan', attributes: { bold: true } },
      { insert: '\nBody\n' },
    ];
    expect(titleFromOps(ops)).toBe('Quarterly plan');
  });

  it('skips embeds', () => {
    expect(titleFromOps([{ insert: { image: 'x.png' } }, { insert: 'Photo\n' }])).toBe('Photo');
  });

  it('is empty for a new document', () => {
    expect(titleFromOps([{ insert: '\n' }])).toBe('');
  });
});

describe('displayTitle', () => {
  it('falls back for empty titles', () => {
    expect(displayTitle('')).toBe(UNTITLED);
    expect(displayTitle(undefined)).toBe(UNTITLED);
    expect(displayTitle('  ')).toBe(UNTITLED);
  });

  it('keeps real titles', () => {
    expect(displayTitle('Plan')).toBe('Plan');
  });
});
