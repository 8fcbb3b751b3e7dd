import { Delta } from '@collab/ot';
import type { PresenceEntry, SubmitInput } from '@collab/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientId, own, remote, started } from './support/sessionServer.js';

const ada = { name: 'Ada', color: '#112233' };
const bob = { name: 'Bob', color: '#445566' };

const entry = (over: Partial<PresenceEntry> = {}): PresenceEntry => ({
  clientId: 'bob.1',
  user: bob,
  range: { index: 1, length: 2 },
  version: 0,
  ...over,
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('[C6] own presence', () => {
  it('[C6] a cursor is sent at once, in server coordinates, with the version it refers to', async () => {
    const { session, presenceUpdates } = started();
    session.apply(new Delta().insert('ab'));
    session.setPresence(ada, { index: 4, length: 1 });
    await vi.advanceTimersByTimeAsync(0);
    // The local edit is not on the server yet: index 4 locally is index 2 in the server's document.
    expect(presenceUpdates.map((u) => u.input)).toEqual([
      { id: 'doc', clientId, user: ada, range: { index: 2, length: 1 }, version: 0 },
    ]);
  });

  it('[C6] no selection (editor not focused) is sent as a null range', async () => {
    const { session, presenceUpdates } = started();
    session.setPresence(ada, null);
    await vi.advanceTimersByTimeAsync(0);
    expect(presenceUpdates[0]?.input).toMatchObject({ user: ada, range: null });
  });

  it('[C6] a moving cursor is sent at most every 50 ms, ending on its latest position', async () => {
    const { session, presenceUpdates } = started();
    session.setPresence(ada, { index: 0, length: 0 });
    await vi.advanceTimersByTimeAsync(0);
    session.setPresence(ada, { index: 1, length: 0 });
    session.setPresence(ada, { index: 2, length: 0 });
    await vi.advanceTimersByTimeAsync(49);
    expect(presenceUpdates).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(presenceUpdates.map((u) => u.input.range)).toEqual([
      { index: 0, length: 0 },
      { index: 2, length: 0 },
    ]);
  });

  it('[C6] presence is re-sent periodically so it does not expire, and a failed send is only retried then', async () => {
    const { session, presenceUpdates } = started();
    session.setPresence(ada, { index: 0, length: 0 });
    await vi.advanceTimersByTimeAsync(0);
    presenceUpdates[0]?.reject(new Error('busy'));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(presenceUpdates).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(presenceUpdates).toHaveLength(2);
  });

  it('[C6] presence set while offline is sent as soon as the socket is open again', async () => {
    const { session, presenceUpdates, setConnection } = started();
    setConnection(false);
    session.setPresence(ada, { index: 3, length: 0 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(presenceUpdates).toHaveLength(0);
    setConnection(true);
    expect(presenceUpdates.map((u) => u.input.range)).toEqual([{ index: 3, length: 0 }]);
  });

  it('[C6] once its own edit is acknowledged, the cursor is sent again on the new version', async () => {
    const { session, presenceUpdates, submits, deliver } = started();
    session.apply(new Delta().insert('ab'));
    session.setPresence(ada, { index: 2, length: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(presenceUpdates.at(-1)?.input).toMatchObject({ range: { index: 0, length: 0 }, version: 0 });
    deliver(own(1, submits[0]?.input as SubmitInput));
    await vi.advanceTimersByTimeAsync(50);
    expect(presenceUpdates).toHaveLength(2);
    expect(presenceUpdates.at(-1)?.input).toMatchObject({ range: { index: 2, length: 0 }, version: 1 });
  });

  it('[C6] a remote op does not make the cursor be sent again before its refresh', async () => {
    const { session, presenceUpdates, deliver } = started();
    session.setPresence(ada, { index: 2, length: 0 });
    await vi.advanceTimersByTimeAsync(0);
    deliver(remote(1, new Delta().insert('x')));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(presenceUpdates).toHaveLength(1);
  });

  it('[C6] a closed session sends no more presence', async () => {
    const { session, presenceUpdates } = started();
    session.setPresence(ada, { index: 0, length: 0 });
    session.close();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(presenceUpdates).toHaveLength(0);
  });
});

describe('[C6] presence of others', () => {
  it('[C6] follows the presence stream of this document, naming this client so it is left out', () => {
    const { presenceStreams } = started();
    expect(presenceStreams.map((s) => s.input)).toEqual([{ id: 'doc', clientId }]);
  });

  it('[C6] others arrive, move and leave; their cursors are shown over the local edits not yet sent', () => {
    const { session, seen, presenceEvents } = started();
    session.apply(new Delta().insert('ab'));
    presenceEvents(
      { type: 'update', entry: entry() },
      { type: 'update', entry: entry({ clientId: 'cy.1', range: null }) },
    );
    expect(seen.presence.at(-1)).toEqual([
      { clientId: 'bob.1', user: bob, range: { index: 3, length: 2 } },
      { clientId: 'cy.1', user: bob, range: null },
    ]);
    presenceEvents({ type: 'leave', clientId: 'bob.1' });
    expect(seen.presence.at(-1)).toEqual([{ clientId: 'cy.1', user: bob, range: null }]);
  });

  it('[C6] a cursor at a version this copy has not reached yet is shown without a position', () => {
    const { seen, presenceEvents } = started();
    presenceEvents({ type: 'update', entry: entry({ version: 5 }) });
    expect(seen.presence.at(-1)).toEqual([{ clientId: 'bob.1', user: bob, range: null }]);
  });

  it('[C6] a cursor sent on an older version is moved through the ops committed since', () => {
    const { seen, deliver, presenceEvents } = started();
    deliver(remote(1, new Delta().insert('>> ')));
    presenceEvents({ type: 'update', entry: entry({ version: 0 }) });
    expect(seen.presence.at(-1)).toEqual([{ clientId: 'bob.1', user: bob, range: { index: 4, length: 2 } }]);
  });

  it('[C6] local and remote edits move the cursors of others', () => {
    const { session, seen, deliver, presenceEvents } = started();
    presenceEvents({ type: 'update', entry: entry() });
    session.apply(new Delta().insert('a'));
    expect(seen.presence.at(-1)?.[0]?.range).toEqual({ index: 2, length: 2 });
    deliver(remote(1, new Delta().insert('b')));
    expect(seen.presence.at(-1)?.[0]?.range).toEqual({ index: 3, length: 2 });
  });

  it('[C6] when the socket drops, the others are forgotten until the stream tells them again', () => {
    const { seen, presenceEvents, setConnection } = started();
    presenceEvents({ type: 'update', entry: entry() });
    setConnection(false);
    expect(seen.presence.at(-1)).toEqual([]);
  });
});
