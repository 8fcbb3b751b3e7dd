import { describe, expect, it } from 'vitest';
import { authorIdOf, HistoryNameInput } from '../src/index.js';

describe('[H1] history schemas', () => {
  it('[H1] an op’s author is the part of its client id before the first dot, or the whole id', () => {
    expect(authorIdOf('ada.3f9c')).toBe('ada');
    expect(authorIdOf('ada.restore-1.x')).toBe('ada');
    expect(authorIdOf('legacy-client')).toBe('legacy-client');
  });

  it('[H1] a version name is trimmed, and an empty or over-long one is refused', () => {
    expect(HistoryNameInput.parse({ id: 'doc', version: 3, name: '  Draft  ' }).name).toBe('Draft');
    expect(HistoryNameInput.safeParse({ id: 'doc', version: 3, name: '   ' }).success).toBe(false);
    expect(HistoryNameInput.safeParse({ id: 'doc', version: 3, name: 'x'.repeat(101) }).success).toBe(false);
  });
});
