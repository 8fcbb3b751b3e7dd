import { describe, expect, it } from 'vitest';
import { type KeyValueStore, memoryStore, readJson, writeJson } from './local-store';

describe('readJson / writeJson', () => {
  it('round-trips a value', () => {
    const store = memoryStore();
    expect(writeJson(store, 'k', { a: [1, 2] })).toBe(true);
    expect(readJson(store, 'k')).toEqual({ a: [1, 2] });
  });

  it('reads a missing or corrupt entry as undefined', () => {
    const store = memoryStore({ bad: '{not json' });
    expect(readJson(store, 'missing')).toBeUndefined();
    expect(readJson(store, 'bad')).toBeUndefined();
  });

  it('survives a store that throws', () => {
    const throwing: KeyValueStore = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(readJson(throwing, 'k')).toBeUndefined();
    expect(writeJson(throwing, 'k', 1)).toBe(false);
  });

  it('does nothing without a store', () => {
    expect(readJson(undefined, 'k')).toBeUndefined();
    expect(writeJson(undefined, 'k', 1)).toBe(false);
  });
});
