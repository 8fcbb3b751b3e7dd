import { describe, expect, it } from 'vitest';
import {
  contrastRatio,
  IDENTITY_KEY,
  initials,
  loadIdentity,
  normalizeName,
  PALETTE,
  pickColor,
  saveIdentity,
  suggestName,
  textColorOn,
} from './identity';
import { memoryStore } from './local-store';

describe('normalizeName', () => {
  it('trims and collapses whitespace', () => {
    expect(normalizeName('  Ada \t  Lovelace ')).toBe('Ada Lovelace');
  });

  it('is undefined for a blank name', () => {
    expect(normalizeName('   ')).toBeUndefined();
  });

  it('keeps at most 64 characters', () => {
    expect(normalizeName('a'.repeat(100))).toHaveLength(64);
  });
});

describe('loadIdentity / saveIdentity', () => {
  it('remembers a saved identity', () => {
    const store = memoryStore();
    saveIdentity(store, { name: 'Ada', color: '#1a73e8' });
    expect(loadIdentity(store)).toEqual({ name: 'Ada', color: '#1a73e8' });
  });

  it('is undefined before anyone was asked', () => {
    expect(loadIdentity(memoryStore())).toBeUndefined();
  });

  it.each([
    ['not json', '{'],
    ['a blank name', JSON.stringify({ name: ' ', color: '#123456' })],
    ['a bad colour', JSON.stringify({ name: 'Ada', color: 'red' })],
    ['a list', '[]'],
  ])('ignores a stored identity with %s', (_, raw) => {
    expect(loadIdentity(memoryStore({ [IDENTITY_KEY]: raw }))).toBeUndefined();
  });
});

describe('suggestName and pickColor', () => {
  it('suggest a two-word name', () => {
    expect(suggestName(() => 0)).toMatch(/^\w+ \w+$/);
    expect(suggestName(() => 0.999)).toMatch(/^\w+ \w+$/);
  });

  it('pick palette colours', () => {
    expect(PALETTE).toContain(pickColor(() => 0.5));
    expect(PALETTE).toContain(pickColor(() => 0.9999));
  });

  it('every palette colour carries white text readably (WCAG AA for large text)', () => {
    for (const color of PALETTE) {
      expect(contrastRatio(color, '#ffffff'), color).toBeGreaterThanOrEqual(3);
      expect(textColorOn(color)).toBe('#ffffff');
    }
  });
});

describe('initials', () => {
  it.each([
    ['Ada Lovelace', 'AL'],
    ['ada', 'A'],
    ['Grace Brewster Hopper', 'GH'],
    ['  ', '?'],
    ['émile zola', 'ÉZ'],
  ])('%s → %s', (name, expected) => {
    expect(initials(name)).toBe(expected);
  });
});

describe('textColorOn', () => {
  it('puts dark text on pale colours and white on dark ones', () => {
    expect(textColorOn('#ffff66')).toBe('#1f1f1f');
    expect(textColorOn('#0b3d91')).toBe('#ffffff');
  });

  it('falls back to white for a malformed colour', () => {
    expect(textColorOn('blue')).toBe('#ffffff');
  });
});
