import { describe, expect, it } from 'vitest';
import { changesForDisplay } from './history-view';

describe('[H1] changes shown in the history preview', () => {
  it('[H1] insertions are tinted and deletions struck through in their author’s colour; unknown authors are neutral', () => {
    const ops = changesForDisplay(
      [
        { insert: 'kept' },
        { insert: 'new', attributes: { historyInsert: 'ada', bold: true } },
        { insert: 'gone', attributes: { historyDelete: 'nobody' } },
      ],
      [{ authorId: 'ada', name: 'Ada', color: '#d93025' }],
    );
    expect(ops).toEqual([
      { insert: 'kept' },
      { insert: 'new', attributes: { bold: true, background: '#d9302533', underline: true } },
      { insert: 'gone', attributes: { strike: true, color: '#80868b' } },
    ]);
  });
});
