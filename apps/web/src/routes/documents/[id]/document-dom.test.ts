import { describe, expect, it } from 'vitest';
import { sameOps } from './document-dom';

// A document built as elements is only kept when Quill reads back the same ops: a false "same" would show
// something other than the document.
describe('comparing the ops of two deltas', () => {
  it('the same text and formats are the same, whatever the order of the attributes', () => {
    expect(
      sameOps(
        [{ insert: 'a', attributes: { bold: true, color: '#e60000' } }, { insert: '\n' }],
        [{ insert: 'a', attributes: { color: '#e60000', bold: true } }, { insert: '\n' }],
      ),
    ).toBe(true);
    expect(sameOps([{ insert: { image: '/i.png' } }], [{ insert: { image: '/i.png' } }])).toBe(true);
  });

  it('another text, format, embed, length, retain or delete is different', () => {
    const base = [{ insert: 'ab', attributes: { bold: true } }];
    expect(sameOps(base, [{ insert: 'ac', attributes: { bold: true } }])).toBe(false);
    expect(sameOps(base, [{ insert: 'ab', attributes: { italic: true } }])).toBe(false);
    expect(sameOps(base, [{ insert: 'ab' }])).toBe(false);
    expect(sameOps(base, [...base, { insert: '\n' }])).toBe(false);
    expect(sameOps([{ insert: { image: '/a.png' } }], [{ insert: { image: '/b.png' } }])).toBe(false);
    expect(sameOps([{ retain: 2 }], [{ retain: 3 }])).toBe(false);
    expect(sameOps([{ delete: 2 }], [{ delete: 1 }])).toBe(false);
    expect(sameOps([{ retain: 2 }], [{ delete: 2 }])).toBe(false);
  });

  it('an attribute present on one side only is different, even when the other has as many', () => {
    expect(
      sameOps(
        [{ insert: 'a', attributes: { bold: true, link: undefined as unknown as string } }],
        [{ insert: 'a', attributes: { bold: true, italic: true } }],
      ),
    ).toBe(false);
  });
});
