import { CollabError, Delta } from '@collab/client';
import { describe, expect, it } from 'vitest';
import { describeReset } from './reset-notice';

describe('describeReset', () => {
  it('[C8] names the dropped edit by its text, says why, and that later edits were kept', () => {
    const notice = {
      reason: new CollabError('LimitExceeded', 'The document would be 9000 bytes'),
      dropped: new Delta().retain(3).insert('a pasted\nparagraph'),
      keptLaterEdits: true,
    };
    expect(describeReset(notice)).toBe(
      'Your edit “a pasted paragraph” was not saved: it is larger than the server accepts. What you typed after it was kept.',
    );
  });

  it('[C8] quotes at most the start of a long edit, and uses the server’s reason otherwise', () => {
    const notice = {
      reason: new CollabError('InvalidOperation', 'Invalid operation: op 1: bad format.'),
      dropped: new Delta().insert('x'.repeat(100)),
      keptLaterEdits: false,
    };
    expect(describeReset(notice)).toBe(
      `Your edit “${'x'.repeat(40)}…” was not saved: Invalid operation: op 1: bad format.`,
    );
  });

  it('[C8] an edit without text is "your last edit"', () => {
    const notice = {
      reason: new CollabError('InvalidOperation', 'Invalid operation'),
      dropped: new Delta().retain(2, { bold: true }),
      keptLaterEdits: false,
    };
    expect(describeReset(notice)).toBe('Your last edit was not saved: Invalid operation.');
  });
});
