import { describe, expect, it } from 'vitest';
import { memoryStore } from './local-store';
import {
  forgetDocument,
  loadRecentDocuments,
  MAX_RECENT_DOCUMENTS,
  parseRecentDocuments,
  RECENT_DOCUMENTS_KEY,
  type RecentDocument,
  rememberDocument,
  retitleDocument,
  updateRecentDocuments,
} from './recent-documents';

const a: RecentDocument = { id: 'a', title: 'Alpha', openedAt: 100 };
const b: RecentDocument = { id: 'b', title: 'Beta', openedAt: 200 };

describe('parseRecentDocuments', () => {
  it('sorts newest first', () => {
    expect(parseRecentDocuments([a, b])).toEqual([b, a]);
  });

  it('drops malformed entries and invalid ids', () => {
    const parsed = parseRecentDocuments([
      a,
      null,
      'x',
      { id: 'bad id', title: 't', openedAt: 1 },
      { id: 'c', title: 't' },
      { id: 'd', title: 't', openedAt: Number.NaN },
      { id: 'e', openedAt: 5 },
    ]);
    expect(parsed).toEqual([a, { id: 'e', title: '', openedAt: 5 }]);
  });

  it('keeps the newest entry of a repeated id', () => {
    expect(parseRecentDocuments([a, { ...a, title: 'Newer', openedAt: 300 }])).toEqual([
      { id: 'a', title: 'Newer', openedAt: 300 },
    ]);
  });

  it('reads anything that is not a list as empty', () => {
    expect(parseRecentDocuments(undefined)).toEqual([]);
    expect(parseRecentDocuments({ a })).toEqual([]);
  });

  it(`keeps at most ${MAX_RECENT_DOCUMENTS}`, () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ id: `d${i}`, title: '', openedAt: i }));
    const parsed = parseRecentDocuments(many);
    expect(parsed).toHaveLength(MAX_RECENT_DOCUMENTS);
    expect(parsed[0]?.id).toBe('d49');
  });
});

describe('rememberDocument', () => {
  it('puts a new document first', () => {
    expect(rememberDocument([b, a], { id: 'c' }, 500)).toEqual([{ id: 'c', title: '', openedAt: 500 }, b, a]);
  });

  it('moves a known document to the top and keeps its title', () => {
    expect(rememberDocument([b, a], { id: 'a' }, 500)).toEqual([
      { id: 'a', title: 'Alpha', openedAt: 500 },
      b,
    ]);
  });

  it('replaces the title when one is given', () => {
    expect(rememberDocument([a], { id: 'a', title: 'Renamed' }, 500)[0]?.title).toBe('Renamed');
  });

  it('does not change its input', () => {
    const list = [b, a];
    rememberDocument(list, { id: 'a' }, 500);
    expect(list).toEqual([b, a]);
  });
});

describe('retitleDocument', () => {
  it('changes the title without moving the entry', () => {
    expect(retitleDocument([b, a], 'a', 'New')).toEqual([b, { ...a, title: 'New' }]);
  });

  it('returns the same list when nothing changes', () => {
    const list = [b, a];
    expect(retitleDocument(list, 'a', 'Alpha')).toBe(list);
    expect(retitleDocument(list, 'zzz', 'x')).toBe(list);
  });
});

describe('forgetDocument', () => {
  it('removes the entry', () => {
    expect(forgetDocument([b, a], 'b')).toEqual([a]);
  });
});

describe('updateRecentDocuments', () => {
  it('reads the stored list afresh and writes the change', () => {
    const store = memoryStore({ [RECENT_DOCUMENTS_KEY]: JSON.stringify([a]) });
    updateRecentDocuments(store, (list) => rememberDocument(list, { id: 'b', title: 'Beta' }, 200));
    expect(loadRecentDocuments(store)).toEqual([b, a]);
  });

  it('does not write when the list is unchanged', () => {
    let writes = 0;
    const inner = memoryStore({ [RECENT_DOCUMENTS_KEY]: JSON.stringify([a]) });
    const store = {
      getItem: inner.getItem,
      setItem: (key: string, value: string) => {
        writes++;
        inner.setItem(key, value);
      },
    };
    updateRecentDocuments(store, (list) => retitleDocument(list, 'a', 'Alpha'));
    expect(writes).toBe(0);
  });

  it('works without a store', () => {
    expect(updateRecentDocuments(undefined, (list) => rememberDocument(list, { id: 'a' }, 1))).toHaveLength(
      1,
    );
  });
});
