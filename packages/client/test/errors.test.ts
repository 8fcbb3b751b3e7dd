import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { Emitter } from '../src/emitter.js';
import { CollabError, toCollabError } from '../src/errors.js';

function serverError(data: Record<string, unknown>, message = 'refused') {
  return TRPCClientError.from({ error: { code: -32600, message, data } } as never);
}

describe('toCollabError', () => {
  it('keeps the catalogue tag the server sent', () => {
    const error = toCollabError(
      serverError({ code: 'BAD_REQUEST', httpStatus: 400, tag: 'InvalidOperation' }),
    );
    expect(error).toBeInstanceOf(CollabError);
    expect(error.tag).toBe('InvalidOperation');
    expect(error.message).toBe('refused');
    expect(error.retryable).toBe(false);
    expect(error.name).toBe('CollabError');
  });

  it('keeps what it was made from as the cause, and a CollabError as it is', () => {
    const tagged = serverError({ code: 'BAD_REQUEST', tag: 'InvalidOperation' });
    const untagged = serverError({ code: 'INTERNAL_SERVER_ERROR' });
    const unanswered = new TRPCClientError('WebSocket closed');
    const thrown = new Error('socket hang up');
    for (const cause of [tagged, untagged, unanswered, thrown])
      expect(toCollabError(cause).cause).toBe(cause);
    const error = new CollabError('Forbidden', 'no');
    expect(toCollabError(error)).toBe(error);
  });

  it('words a lost connection for people, and keeps the text of anything else thrown', () => {
    expect(toCollabError(new TRPCClientError('WebSocket closed')).message).toBe(
      'The server cannot be reached',
    );
    expect(toCollabError(serverError({ code: 'INTERNAL_SERVER_ERROR' }, 'oops')).message).toBe('oops');
    expect(toCollabError(new Error('socket hang up')).message).toBe('socket hang up');
    expect(toCollabError('gone')).toMatchObject({ tag: 'Disconnected', message: 'gone' });
  });

  it('treats an answer without a known tag as internal, and no answer at all as a lost connection', () => {
    expect(toCollabError(serverError({ code: 'INTERNAL_SERVER_ERROR' })).tag).toBe('Internal');
    expect(toCollabError(new TRPCClientError('WebSocket closed')).tag).toBe('Disconnected');
    expect(toCollabError(new Error('socket hang up')).tag).toBe('Disconnected');
  });

  it('says which failures are worth retrying', () => {
    for (const tag of ['Disconnected', 'RateLimited', 'Unavailable'] as const) {
      expect(new CollabError(tag, tag).retryable).toBe(true);
    }
    for (const tag of ['InvalidInput', 'LimitExceeded', 'DocumentNotFound'] as const) {
      expect(new CollabError(tag, tag).retryable).toBe(false);
    }
  });
});

describe('Emitter', () => {
  it('calls listeners in order and stops calling one once removed', () => {
    const emitter = new Emitter<{ change: (value: number) => void }>();
    const seen: string[] = [];
    const off = emitter.on('change', (value) => seen.push(`a${value}`));
    emitter.on('change', (value) => seen.push(`b${value}`));
    emitter.emit('change', 1);
    off();
    emitter.emit('change', 2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
  });

  it('forgets every listener when cleared', () => {
    const emitter = new Emitter<{ change: (value: number) => void }>();
    const seen: number[] = [];
    emitter.on('change', (value) => seen.push(value));
    emitter.clear();
    emitter.emit('change', 1);
    expect(seen).toEqual([]);
  });
});
