import { describe, expect, it } from 'vitest';
import { describeOpenFailure } from './open-failure';

describe('describeOpenFailure', () => {
  it.each(['Disconnected', 'Unavailable', 'RateLimited'])(
    '%s is retried: the server is away or busy',
    (tag) => {
      expect(describeOpenFailure(tag)).toMatchObject({ retryable: true, title: 'Can’t reach the server' });
    },
  );

  it.each([
    ['InvalidInput', 'This isn’t a valid document'],
    ['DocumentNotFound', 'Document not found'],
    ['LimitExceeded', 'This document is too large'],
    ['Internal', 'The document couldn’t be opened'],
    [undefined, 'The document couldn’t be opened'],
  ])('%s is final', (tag, title) => {
    expect(describeOpenFailure(tag)).toMatchObject({ retryable: false, title });
  });
});
