import { Delta } from '@collab/ot';
import type { SubmitInput } from '@collab/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollabError } from '../src/errors.js';
import { clientId, docId, fakeServer, own, remote, settle, started, text } from './support/sessionServer.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('[C4] client document session', () => {
  it('[C4] a remote op reaches the editor as a change, and the contents follow', () => {
    const { session, seen, deliver } = started();
    deliver(remote(1, new Delta().insert('> ')));
    expect(seen.changes).toEqual([new Delta().insert('> ')]);
    expect(text(session)).toBe('> hello\n');
    expect(session.version).toBe(1);
    expect(session.status).toMatchObject({ connection: 'online', pendingEdits: 0 });
  });

  it('[C4] one op in flight, later edits buffered; a remote op is transformed over both before the editor sees it', async () => {
    const { session, seen, submits, deliver } = started();
    session.apply(new Delta().retain(5).insert('A'));
    session.apply(new Delta().retain(6).insert('B'));
    expect(submits.map((s) => s.input)).toEqual([
      { id: 'doc', clientId, seq: 0, baseVersion: 0, delta: { ops: [{ retain: 5 }, { insert: 'A' }] } },
    ]);
    deliver(remote(1, new Delta().retain(2).delete(2)));
    expect(seen.changes).toEqual([new Delta().retain(2).delete(2)]);
    expect(text(session)).toBe('heoAB\n');
    expect(session.status.pendingEdits).toBe(2);
    await settle();
    expect(submits).toHaveLength(1);
  });

  it('[C2] [C4] its own op in the stream acknowledges it; the buffer then goes out on the acknowledged version', async () => {
    const { session, seen, submits, deliver } = started();
    session.apply(new Delta().retain(5).insert('A'));
    session.apply(new Delta().retain(6).insert('B'));
    const first = submits[0]?.input as SubmitInput;
    deliver(own(1, first));
    expect(seen.changes).toEqual([]);
    expect(submits[1]?.input).toEqual({
      id: 'doc',
      clientId,
      seq: 1,
      baseVersion: 1,
      delta: { ops: [{ retain: 6 }, { insert: 'B' }] },
    });
    submits[0]?.resolve({ version: 1 });
    deliver(own(2, submits[1]?.input as SubmitInput));
    await settle();
    expect(session.status.pendingEdits).toBe(0);
    expect(text(session)).toBe('helloAB\n');
  });

  it('[C3] [C4] the op in flight when the connection drops is resent after reconnect with the same clientId and seq', async () => {
    const { session, submits, setConnection, stream, deliver } = started();
    session.apply(new Delta().retain(5).insert('!'));
    const sent = submits[0]?.input as SubmitInput;
    setConnection(false);
    submits[0]?.reject(new CollabError('Disconnected', 'socket closed'));
    await settle();
    expect(session.status).toMatchObject({ connection: 'offline', pendingEdits: 1 });

    setConnection(true);
    // The change stream resumes on the new socket (from its last event id) and starts again.
    stream().handlers.onStarted();
    expect(submits).toHaveLength(2);
    expect(submits[1]?.input).toEqual(sent);
    deliver(own(1, sent));
    expect(session.status).toMatchObject({ connection: 'online', pendingEdits: 0 });
    expect(text(session)).toBe('hello!\n');
  });

  it('[C4] edits made offline are kept, composed, and sent once the connection is back', async () => {
    const { session, submits, setConnection, stream, deliver } = started();
    setConnection(false);
    session.apply(new Delta().insert('a'));
    session.apply(new Delta().retain(1).insert('b'));
    session.apply(new Delta().retain(2).insert('c'));
    expect(submits).toHaveLength(0);
    expect(session.status).toMatchObject({ connection: 'offline', pendingEdits: 3 });
    setConnection(true);
    stream().handlers.onStarted();
    // The first edit became the op in flight; the later ones were composed behind it.
    expect(submits.map((s) => s.input.delta)).toEqual([{ ops: [{ insert: 'a' }] }]);
    deliver(own(1, submits[0]?.input as SubmitInput));
    expect(submits[1]?.input.delta).toEqual({ ops: [{ retain: 1 }, { insert: 'bc' }] });
    expect(text(session)).toBe('abchello\n');
  });

  it('[C3] a busy server (Unavailable) gets the same op again after a pause; nothing is dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { session, seen, submits } = started();
    session.apply(new Delta().insert('x'));
    submits[0]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(0);
    expect(submits).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(submits).toHaveLength(2);
    expect(submits[1]?.input).toEqual(submits[0]?.input);
    expect(seen.resets).toEqual([]);
    expect(session.status.pendingEdits).toBe(1);
  });
});

describe('[C5] client document session: every way back to the server copy', () => {
  it('[C5] a gap in the change stream: the copy is replaced by the server document and follows on from its version', async () => {
    const { session, seen, changes, gets, deliver } = started();
    deliver(remote(3, new Delta().insert('?')));
    expect(changes[0]?.closed).toBe(true);
    expect(gets).toHaveLength(1);
    gets[0]?.resolve({ id: docId, version: 3, delta: { ops: [{ insert: 'server copy\n' }] } });
    await settle();
    expect(seen.resets.map((contents) => contents.ops)).toEqual([[{ insert: 'server copy\n' }]]);
    expect(text(session)).toBe('server copy\n');
    expect(changes.at(-1)?.input).toEqual({ id: 'doc', sinceVersion: 3 });
    expect(seen.changes).toEqual([]);
  });

  it('[C5] an op the server refuses as invalid: the error is told and the copy reset, keeping seq numbers moving', async () => {
    const { session, seen, submits, gets, changes } = started();
    session.apply(new Delta().retain(5).insert('?'));
    submits[0]?.reject(new CollabError('InvalidOperation', 'does not apply'));
    await settle();
    expect(seen.errors.map((e) => e.tag)).toEqual(['InvalidOperation']);
    gets[0]?.resolve({ id: docId, version: 4, delta: { ops: [{ insert: 'hello\n' }] } });
    await settle();
    expect(seen.resets).toHaveLength(1);
    expect(session.status.pendingEdits).toBe(0);
    changes.at(-1)?.handlers.onStarted();
    session.apply(new Delta().insert('again '));
    expect(submits[1]?.input).toMatchObject({ seq: 1, baseVersion: 4 });
  });

  it.each(['InvalidInput', 'LimitExceeded', 'Forbidden'] as const)(
    '[C8] an op refused with %s is not sent again: the error is told and the copy reset',
    async (tag) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { session, seen, submits, gets } = started();
      session.apply(new Delta().insert('x'));
      submits[0]?.reject(new CollabError(tag, 'refused'));
      await vi.advanceTimersByTimeAsync(30_000);
      expect(submits).toHaveLength(1);
      expect(seen.errors.map((e) => e.tag)).toEqual([tag]);
      expect(gets).toHaveLength(1);
    },
  );

  it('[C5] a socket closed for a message over the hard cap (1009): LimitExceeded, then the server copy, no endless resend', async () => {
    const { session, seen, submits, gets, setConnection } = started();
    session.apply(new Delta().insert('x'.repeat(100)));
    setConnection(false, 1009);
    expect(seen.errors.map((e) => e.tag)).toEqual(['LimitExceeded']);
    gets[0]?.resolve({ id: docId, version: 0, delta: { ops: [{ insert: 'hello\n' }] } });
    await settle();
    expect(seen.resets).toHaveLength(1);
    expect(text(session)).toBe('hello\n');
    expect(submits).toHaveLength(1);
  });

  it('[C5] when reading the server copy fails, it is told and tried again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { seen, gets, deliver } = started();
    deliver(remote(2, new Delta().insert('?')));
    gets[0]?.reject(new CollabError('Unavailable', 'busy'));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.errors.map((e) => e.tag)).toEqual(['Unavailable']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(gets).toHaveLength(2);
  });

  it('[C2] a change stream ended by a server error is told and followed again from the version reached', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { seen, changes, deliver, stream } = started();
    deliver(remote(1, new Delta().insert('a')));
    stream().handlers.onError(new CollabError('Internal', 'stream failed'));
    expect(seen.errors.map((e) => e.tag)).toEqual(['Internal']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toHaveLength(2);
    expect(changes[1]?.input).toEqual({ id: 'doc', sinceVersion: 1 });
  });
});

describe('[C5] client document session: more ways back to the server copy', () => {
  it('[L1] [C8] VersionTooOld: the op is sent again, rebased, once the stream has caught the copy up; nothing typed is lost', async () => {
    const { session, seen, submits, gets, deliver } = started();
    session.apply(new Delta().retain(5).insert('!'));
    submits[0]?.reject(new CollabError('VersionTooOld', 'catch up'));
    await settle();
    // Nothing newer has arrived yet: the op waits for the stream instead of going out on the same version.
    expect(submits).toHaveLength(1);
    deliver(remote(1, new Delta().insert('>> ')));
    expect(submits[1]?.input).toEqual({
      id: 'doc',
      clientId,
      seq: 0,
      baseVersion: 1,
      delta: { ops: [{ retain: 8 }, { insert: '!' }] },
    });
    expect(text(session)).toBe('>> hello!\n');
    expect(gets).toHaveLength(0);
    expect(seen.resets).toEqual([]);
  });

  it('[L1] VersionTooOld after the stream has already moved on: the op goes out again at once from the newer version', async () => {
    const { session, submits, deliver } = started();
    session.apply(new Delta().retain(5).insert('!'));
    deliver(remote(1, new Delta().insert('>> ')));
    submits[0]?.reject(new CollabError('VersionTooOld', 'catch up'));
    await settle();
    expect(submits[1]?.input).toMatchObject({
      seq: 0,
      baseVersion: 1,
      delta: { ops: [{ retain: 8 }, { insert: '!' }] },
    });
  });

  it('[C3] [L1] VersionTooOld for an op that was committed after all: the stream acknowledges it and it is not sent again', async () => {
    const { session, submits, deliver } = started();
    session.apply(new Delta().retain(5).insert('!'));
    const sent = submits[0]?.input as SubmitInput;
    submits[0]?.reject(new CollabError('VersionTooOld', 'catch up'));
    await settle();
    deliver(
      remote(1, new Delta().insert('>> ')),
      own(2, { ...sent, delta: { ops: [{ retain: 8 }, { insert: '!' }] } }),
    );
    expect(submits).toHaveLength(1);
    expect(session.status.pendingEdits).toBe(0);
    expect(text(session)).toBe('>> hello!\n');
  });

  it('[C8] an op refused as invalid is dropped and said so; the edits buffered behind it are rebased onto the server copy and sent', async () => {
    const { session, seen, submits, gets, changes } = started();
    session.apply(new Delta().retain(5).insert('?'));
    session.apply(new Delta().insert('A'));
    submits[0]?.reject(new CollabError('InvalidOperation', 'does not apply'));
    await settle();
    gets[0]?.resolve({ id: docId, version: 2, delta: { ops: [{ insert: 'hi hello\n' }] } });
    await settle();
    expect(seen.notices).toEqual([
      {
        reason: expect.objectContaining({ tag: 'InvalidOperation' }),
        dropped: new Delta().retain(5).insert('?'),
        keptLaterEdits: true,
      },
    ]);
    // Placed as the tie rule places an insert at the same spot as the server's.
    expect(text(session)).toBe('hi Ahello\n');
    changes.at(-1)?.handlers.onStarted();
    expect(submits[1]?.input).toEqual({
      id: 'doc',
      clientId,
      seq: 1,
      baseVersion: 2,
      delta: { ops: [{ retain: 3 }, { insert: 'A' }] },
    });
  });

  it('[C4] edits made while the server copy is being read are kept on top of it', async () => {
    const { session, seen, gets, deliver } = started();
    deliver(remote(3, new Delta().insert('?')));
    session.apply(new Delta().insert('typed meanwhile '));
    gets[0]?.resolve({ id: docId, version: 3, delta: { ops: [{ insert: 'hello world\n' }] } });
    await settle();
    expect(text(session)).toBe('typed meanwhile hello world\n');
    expect(seen.notices[0]).toMatchObject({ dropped: undefined, keptLaterEdits: true });
    expect(session.status.pendingEdits).toBe(1);
  });

  it('[A3] a change stream ended because access is gone is told and not followed again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { seen, changes, stream } = started();
    stream().handlers.onError(new CollabError('DocumentNotFound', 'gone'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen.errors.map((e) => e.tag)).toEqual(['DocumentNotFound']);
    expect(changes).toHaveLength(1);
  });

  it('[C10] edits an earlier session left unacknowledged are restored on their version and sent with their seq', async () => {
    const server = fakeServer(
      { id: docId, version: 1, delta: { ops: [{ insert: '>> hello\n' }] } },
      {
        restore: {
          version: 0,
          confirmed: { ops: [{ insert: 'hello\n' }] },
          inFlight: { seq: 7, delta: { ops: [{ retain: 5 }, { insert: '!' }] } },
          buffer: undefined,
          nextSeq: 8,
        },
      },
    );
    expect(server.changes[0]?.input).toEqual({ id: 'doc', sinceVersion: 0 });
    server.stream().handlers.onStarted();
    expect(server.submits[0]?.input).toMatchObject({ seq: 7, baseVersion: 0 });
    server.deliver(remote(1, new Delta().insert('>> ')));
    expect(text(server.session)).toBe('>> hello!\n');
    expect(server.session.nextSeq).toBe(8);
  });

  it('[C10] unsaved edits carry the server document of their version, written out again once it moves on', () => {
    const { session, submits, deliver } = started();
    session.apply(new Delta().retain(5).insert('!'));
    expect(session.inFlightSeq).toBe(0);
    const first = session.unsavedEdits();
    expect(first?.version).toBe(0);
    expect(JSON.parse(first?.confirmed as string)).toEqual({ ops: [{ insert: 'hello\n' }] });
    deliver(remote(1, new Delta().insert('> ')));
    const second = session.unsavedEdits();
    expect(second?.version).toBe(1);
    expect(JSON.parse(second?.confirmed as string)).toEqual({ ops: [{ insert: '> hello\n' }] });
    expect(second?.inFlight).toEqual({ seq: 0, delta: { ops: [{ retain: 7 }, { insert: '!' }] } });
    deliver(own(2, submits[0]?.input as SubmitInput));
    expect(session.inFlightSeq).toBeUndefined();
    expect(session.unsavedEdits()).toBeUndefined();
  });

  it('[C10] unsaved edits as a session gives them restore in a later session', () => {
    const earlier = started();
    earlier.session.apply(new Delta().retain(5).insert('!'));
    earlier.session.apply(new Delta().retain(6).insert('?'));
    const later = fakeServer(
      { id: docId, version: 0, delta: { ops: [{ insert: 'hello\n' }] } },
      { restore: earlier.session.unsavedEdits() },
    );
    expect(text(later.session)).toBe('hello!?\n');
    later.stream().handlers.onStarted();
    expect(later.submits[0]?.input).toMatchObject({
      seq: 0,
      baseVersion: 0,
      delta: { ops: [{ retain: 5 }, { insert: '!' }] },
    });
    expect(later.session.status.pendingEdits).toBe(2);
  });
});
