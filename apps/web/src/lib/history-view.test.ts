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
      {
        insert: 'new',
        attributes: {
          bold: true,
          background: '#d9302533',
          underline: true,
          'history-author': 'Added by Ada',
        },
      },
      {
        insert: 'gone',
        attributes: { strike: true, color: '#80868b', 'history-author': 'Deleted by Anonymous' },
      },
    ]);
  });

  it('[H1] neighbouring changes by two authors of the same colour stay two runs, each naming its author', () => {
    const color = '#1a73e8';
    const ops = changesForDisplay(
      [
        { insert: ' by Ada.', attributes: { historyInsert: 'ada' } },
        { insert: ' by Grace.', attributes: { historyInsert: 'grace' } },
      ],
      [
        { authorId: 'ada', name: 'Ada', color },
        { authorId: 'grace', name: 'Grace', color },
      ],
    );
    expect(ops.map((op) => ('attributes' in op ? op.attributes?.['history-author'] : undefined))).toEqual([
      'Added by Ada',
      'Added by Grace',
    ]);
  });
});
