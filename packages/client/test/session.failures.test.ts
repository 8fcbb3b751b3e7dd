import { Delta } from '@collab/ot';
import type { SubmitInput } from '@collab/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollabError } from '../src/errors.js';
import { docId, own, remote, settle, started, text } from './support/sessionServer.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('[C8] an op the server could not take right now', () => {
  it('[C8] is sent again after a pause that doubles each time; the failure is told once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // The jitter at its lowest: half of 250 ms, then of 500 ms.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { session, seen, submits } = started();
    session.apply(new Delta().insert('x'));
    submits[0]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(124);
    expect(submits).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(submits).toHaveLength(2);
    submits[1]?.reject(new CollabError('RateLimited', 'slow down'));
    await vi.advanceTimersByTimeAsync(249);
    expect(submits).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(submits.map((s) => s.input)).toEqual([submits[0]?.input, submits[0]?.input, submits[0]?.input]);
    expect(seen.errors.map((e) => e.tag)).toEqual(['Unavailable']);
  });

  it('[C8] once an op gets through, the next failure is told again and the pause starts short again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { session, seen, submits, deliver } = started();
    session.apply(new Delta().insert('x'));
    submits[0]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(125);
    deliver(own(1, submits[1]?.input as SubmitInput));
    session.apply(new Delta().insert('y'));
    submits[2]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(125);
    expect(submits).toHaveLength(4);
    expect(seen.errors.map((e) => e.tag)).toEqual(['Unavailable', 'Unavailable']);
  });

  it('[C2] a failure answered for an op the change stream has already acknowledged changes nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { session, seen, submits, gets, deliver } = started();
    session.apply(new Delta().insert('x'));
    deliver(own(1, submits[0]?.input as SubmitInput));
    submits[0]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(submits).toHaveLength(1);
    expect(gets).toHaveLength(0);
    expect(seen.errors).toEqual([]);
  });

  it('[C4] a submit lost with the connection is not an error: it goes out again on reconnect only', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { session, seen, submits } = started();
    session.apply(new Delta().insert('x'));
    submits[0]?.reject(new CollabError('Disconnected', 'socket closed'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(submits).toHaveLength(1);
    expect(seen.errors).toEqual([]);
  });
});

describe('[C5] resync paths', () => {
  it('[C5] a copy that fell out of step says why it was reset', async () => {
    const { seen, gets, deliver } = started();
    deliver(remote(3, new Delta().insert('?')));
    gets[0]?.resolve({ id: docId, version: 3, delta: { ops: [{ insert: 'x\n' }] } });
    await settle();
    const reason = seen.notices[0]?.reason;
    expect(reason).toBeInstanceOf(CollabError);
    expect(reason?.tag).toBe('Internal');
    expect(reason?.message).toBe('This copy of the document fell out of step');
    expect(reason?.cause).toBeInstanceOf(Error);
  });

  it('[C4] edits made while the server copy is being read are not sent until they are on top of it', async () => {
    const { session, submits, gets, deliver, stream } = started();
    deliver(remote(3, new Delta().insert('?')));
    session.apply(new Delta().insert('a'));
    expect(submits).toHaveLength(0);
    gets[0]?.resolve({ id: docId, version: 3, delta: { ops: [{ insert: 'hello\n' }] } });
    await settle();
    stream().handlers.onStarted();
    expect(submits.map((s) => s.input)).toMatchObject([
      { baseVersion: 3, delta: { ops: [{ insert: 'a' }] } },
    ]);
  });

  it('[C8] edits typed and erased while the server copy is read leave nothing to keep', async () => {
    const { session, seen, gets, deliver } = started();
    deliver(remote(3, new Delta().insert('?')));
    session.apply(new Delta().insert('a'));
    session.apply(new Delta().delete(1));
    gets[0]?.resolve({ id: docId, version: 3, delta: { ops: [{ insert: 'x\n' }] } });
    await settle();
    expect(seen.notices[0]).toMatchObject({ dropped: undefined, keptLaterEdits: false });
    expect(text(session)).toBe('x\n');
    expect(session.status.pendingEdits).toBe(0);
  });

  it('[C5] a session closed while the server copy is read stays closed when it arrives', async () => {
    const { session, changes, gets, deliver } = started();
    deliver(remote(3, new Delta().insert('?')));
    session.close();
    gets[0]?.resolve({ id: docId, version: 3, delta: { ops: [{ insert: 'x\n' }] } });
    await settle();
    expect(changes).toHaveLength(1);
    expect(text(session)).toBe('hello\n');
  });

  it('[C5] reading the server copy again waits a while, and not at all once the session is closed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const first = started();
    first.deliver(remote(2, new Delta().insert('?')));
    first.gets[0]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(first.gets).toHaveLength(1);

    const second = started();
    second.deliver(remote(2, new Delta().insert('?')));
    second.gets[0]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(0);
    second.session.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(second.gets).toHaveLength(1);
  });

  it('[C5] the socket closed over a too large edit says so', () => {
    const { session, seen, setConnection } = started();
    session.apply(new Delta().insert('x'.repeat(100)));
    setConnection(false, 1009);
    expect(seen.errors.map((e) => e.message)).toEqual(['The edit is larger than the server accepts']);
  });

  it('[C5] the socket closed with that code while nothing is in flight is only a lost connection', () => {
    const { seen, gets, setConnection } = started();
    setConnection(false, 1009);
    expect(seen.errors).toEqual([]);
    expect(gets).toHaveLength(0);
  });
});

describe('[A3] change streams ended for good', () => {
  it.each(['DocumentNotFound', 'Unauthorized'] as const)(
    '[A3] a stream ended with %s is told and not followed again',
    async (tag) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { seen, changes, stream } = started();
      stream().handlers.onError(new CollabError(tag, 'gone'));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(seen.errors.map((e) => e.tag)).toEqual([tag]);
      expect(changes).toHaveLength(1);
    },
  );

  it('[C2] a stream that ended on a server error is not followed again once the session is closed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { session, changes, stream } = started();
    stream().handlers.onError(new CollabError('Internal', 'stream failed'));
    session.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(changes).toHaveLength(1);
  });
});
