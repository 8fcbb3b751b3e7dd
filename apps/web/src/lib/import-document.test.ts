import { describe, expect, it } from 'vitest';
import { importKindOf } from './import-document';

describe('[H2] import', () => {
  it('[H2] DOCX, Markdown and HTML files are recognised by extension; anything else is not imported', () => {
    expect(importKindOf('Report.DOCX')).toBe('docx');
    expect(importKindOf('notes.md')).toBe('markdown');
    expect(importKindOf('notes.markdown')).toBe('markdown');
    expect(importKindOf('page.htm')).toBe('html');
    expect(importKindOf('page.html')).toBe('html');
    expect(importKindOf('sheet.xlsx')).toBeUndefined();
    expect(importKindOf('no-extension')).toBeUndefined();
  });
});
