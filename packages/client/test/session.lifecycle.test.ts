import { Delta } from '@collab/ot';
import type { SubmitInput } from '@collab/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollabError } from '../src/errors.js';
import type { UnsavedEdits } from '../src/session.js';
import { clientId, docId, fakeServer, own, remote, settle, started, text } from './support/sessionServer.js';

const hello = { id: docId, version: 0, delta: { ops: [{ insert: 'hello\n' }] } };

afterEach(() => {
  vi.useRealTimers();
});

describe('[C4] document session status', () => {
  it('[C4] connecting until the change stream has started; edits wait for it', () => {
    const { session, submits, stream } = fakeServer(hello);
    expect(session.status).toEqual({ connection: 'connecting', pendingEdits: 0, everConnected: false });
    session.apply(new Delta().insert('a'));
    expect(submits).toHaveLength(0);
    stream().handlers.onStarted();
    expect(session.status).toEqual({ connection: 'online', pendingEdits: 1, everConnected: true });
    expect(submits.map((s) => s.input.delta)).toEqual([{ ops: [{ insert: 'a' }] }]);
  });

  it('[C4] a socket lost before the first start is "offline", never connected; once online it stays "ever connected"', () => {
    const { session, setConnection, stream } = fakeServer(hello);
    setConnection(false);
    expect(session.status).toMatchObject({ connection: 'offline', everConnected: false });
    setConnection(true);
    stream().handlers.onStarted();
    setConnection(false);
    expect(session.status).toMatchObject({ connection: 'offline', everConnected: true });
  });

  it('[C4] status events tell every change of connection once, and every local edit', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { session, seen, setConnection, stream } = fakeServer(hello);
    stream().handlers.onStarted();
    // A stream restarted after a server error does not make the session go online twice.
    stream().handlers.onError(new CollabError('Internal', 'stream failed'));
    await vi.advanceTimersByTimeAsync(500);
    stream().handlers.onStarted();
    setConnection(false);
    session.apply(new Delta().insert('a'));
    expect(seen.statuses).toEqual([
      { connection: 'online', pendingEdits: 0, everConnected: true },
      { connection: 'offline', pendingEdits: 0, everConnected: true },
      { connection: 'offline', pendingEdits: 1, everConnected: true },
    ]);
  });

  it('[C4] after the socket is back, edits wait until the change stream has started again', () => {
    const { session, submits, setConnection, stream } = started();
    setConnection(false);
    setConnection(true);
    session.apply(new Delta().insert('a'));
    expect(submits).toHaveLength(0);
    stream().handlers.onStarted();
    expect(submits).toHaveLength(1);
  });
});

describe('[A2] a document opened with a share link key', () => {
  it('[A2] sends the key on every call', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const server = fakeServer(hello, { key: 'k3y' });
    server.stream().handlers.onStarted();
    server.session.apply(new Delta().insert('a'));
    server.session.setPresence({ name: 'Ada', color: '#112233' }, null);
    await vi.advanceTimersByTimeAsync(0);
    server.deliver(remote(5, new Delta().insert('?')));
    expect(server.changes[0]?.input).toEqual({ id: 'doc', key: 'k3y', sinceVersion: 0 });
    expect(server.presenceStreams[0]?.input).toEqual({ id: 'doc', key: 'k3y', clientId });
    expect(server.submits[0]?.input).toMatchObject({ id: 'doc', key: 'k3y' });
    expect(server.presenceUpdates[0]?.input).toMatchObject({ id: 'doc', key: 'k3y' });
    expect(server.gets[0]?.input).toEqual({ id: 'doc', key: 'k3y' });
  });
});

describe('[A7] local edits', () => {
  it('[A7] an edit with content the server would refuse is refused at once and changes nothing', () => {
    const { session, submits } = started();
    const apply = () => session.apply(new Delta().insert({ video: 'x' }));
    expect(apply).toThrow(CollabError);
    expect(apply).toThrow('Invalid operation: op 0: the embed "video" is not supported');
    try {
      apply();
    } catch (error) {
      expect((error as CollabError).tag).toBe('InvalidOperation');
    }
    expect(text(session)).toBe('hello\n');
    expect(submits).toHaveLength(0);
  });

  it('a closed session takes no more edits', () => {
    const { session } = started();
    session.close();
    expect(() => session.apply(new Delta().insert('a'))).toThrow('the document session is closed');
  });
});

describe('closing a document session', () => {
  it('stops following its changes, presence and connection; closing again does nothing', () => {
    const { session, changes, presenceStreams, listensToConnection } = started();
    session.close();
    session.close();
    expect(changes.map((c) => c.closed)).toEqual([true]);
    expect(presenceStreams.map((s) => s.closed)).toEqual([true]);
    expect(listensToConnection()).toBe(false);
  });

  it('a failed submit answered after closing starts nothing', async () => {
    const { session, submits, gets } = started();
    session.apply(new Delta().insert('a'));
    session.close();
    submits[0]?.reject(new CollabError('InvalidOperation', 'refused'));
    await settle();
    expect(gets).toHaveLength(0);
  });
});

describe('[C10] unsaved edits', () => {
  it('[C10] nothing to keep once everything is acknowledged', () => {
    const { session, submits, deliver } = started();
    expect(session.unsavedEdits()).toBeUndefined();
    session.apply(new Delta().insert('a'));
    deliver(own(1, submits[0]?.input as SubmitInput));
    expect(session.unsavedEdits()).toBeUndefined();
  });

  it('[C10] the op in flight and the edits behind it, on the version they were made on', () => {
    const { session, deliver } = started();
    session.apply(new Delta().retain(5).insert('!'));
    expect(session.unsavedEdits()).toEqual({
      version: 0,
      confirmed: JSON.stringify({ ops: [{ insert: 'hello\n' }] }),
      inFlight: { seq: 0, delta: { ops: [{ retain: 5 }, { insert: '!' }] } },
      buffer: undefined,
      nextSeq: 1,
    });
    session.apply(new Delta().insert('>'));
    deliver(remote(1, new Delta().insert('x')));
    expect(session.unsavedEdits()).toEqual({
      version: 1,
      confirmed: JSON.stringify({ ops: [{ insert: 'xhello\n' }] }),
      inFlight: { seq: 0, delta: { ops: [{ retain: 6 }, { insert: '!' }] } },
      buffer: { ops: [{ insert: '>' }] },
      nextSeq: 1,
    });
  });

  it('[C10] what one session keeps, a later one restores and sends as it was', () => {
    const first = started();
    first.session.apply(new Delta().retain(5).insert('!'));
    first.session.apply(new Delta().insert('>'));
    const kept = first.session.unsavedEdits() as UnsavedEdits;
    first.session.close();

    const second = started({ restore: kept });
    expect(text(second.session)).toBe('>hello!\n');
    expect(second.submits[0]?.input).toEqual(first.submits[0]?.input);
    second.deliver(own(1, second.submits[0]?.input as SubmitInput));
    expect(second.submits[1]?.input).toMatchObject({
      seq: 1,
      baseVersion: 1,
      delta: { ops: [{ insert: '>' }] },
    });
  });
});

describe('[C10] restoring unsaved edits', () => {
  const restore: UnsavedEdits = {
    version: 2,
    confirmed: { ops: [{ insert: 'hello\n' }] },
    inFlight: { seq: 7, delta: { ops: [{ retain: 5 }, { insert: '!' }] } },
    buffer: { ops: [{ insert: '>' }] },
    nextSeq: 10,
  };

  it('[C10] on the version the server is at, the op in flight goes out again with its own seq', () => {
    const server = fakeServer(
      { id: docId, version: 2, delta: { ops: [{ insert: 'hello\n' }] } },
      { restore },
    );
    server.stream().handlers.onStarted();
    expect(server.submits[0]?.input).toMatchObject({ seq: 7, baseVersion: 2 });
    expect(server.session.nextSeq).toBe(10);
  });

  it('[C3] seqs carry on after the highest one used by this session or the restored one', () => {
    expect(fakeServer(hello, { nextSeq: 3, restore: { ...restore, version: 0 } }).session.nextSeq).toBe(10);
    expect(fakeServer(hello, { nextSeq: 12, restore: { ...restore, version: 0 } }).session.nextSeq).toBe(12);
  });

  it('[C10] from a version the server does not have (it lost them), the edits are moved onto its document as a new op', () => {
    const server = fakeServer(
      { id: docId, version: 1, delta: { ops: [{ insert: 'hi hello\n' }] } },
      { restore },
    );
    expect(server.changes[0]?.input).toEqual({ id: 'doc', sinceVersion: 1 });
    // Placed as the tie rule places an insert at the same spot as the server's.
    expect(text(server.session)).toBe('hi >hello!\n');
    server.stream().handlers.onStarted();
    expect(server.submits[0]?.input).toEqual({
      id: 'doc',
      clientId,
      seq: 10,
      baseVersion: 1,
      delta: { ops: [{ retain: 3 }, { insert: '>' }, { retain: 5 }, { insert: '!' }] },
    });
  });

  it('[C10] saved edits that do not fit the document they were made on are dropped, not fatal', () => {
    const server = fakeServer(
      { id: docId, version: 1, delta: { ops: [{ insert: 'hi\n' }] } },
      { restore: { ...restore, inFlight: { seq: 7, delta: { ops: [{ retain: 50 }, { insert: '!' }] } } } },
    );
    expect(text(server.session)).toBe('hi\n');
    expect(server.session.status.pendingEdits).toBe(0);
  });
});
