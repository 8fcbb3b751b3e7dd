import { describe, expect, it } from 'vitest';
import { applyChange, Delta } from '../src/index.js';

describe('regressions', () => {
  it('[C5] regression: seed 1260543152 (TP1): compose writes { attributes, insert }, so docs must be normalised', () => {
    const doc = new Delta().insert('\n');
    const a = new Delta().retain(1, { bold: true });
    const b = new Delta().insert('a', { bold: 1 }).retain(1, { bold: 1 });
    const viaA = applyChange(applyChange(doc, a), a.transform(b, true));
    const viaB = applyChange(applyChange(doc, b), b.transform(a, false));
    expect(JSON.stringify(viaA)).toBe(JSON.stringify(viaB));
  });
});
