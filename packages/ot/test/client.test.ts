import { describe, expect, it } from 'vitest';
import {
  applyChange,
  ClientDocument,
  type ClientState,
  Delta,
  type IncomingOp,
  rebaseOnto,
} from '../src/index.js';

const start = () => new ClientDocument({ clientId: 'me', version: 3, contents: new Delta().insert('abc\n') });
const insertAt = (index: number, text: string) => new Delta().retain(index).insert(text);

/** The server echoing our in-flight op back as committed. */
function ackOf(client: ClientDocument): IncomingOp {
  const inFlight = client.inFlight;
  if (!inFlight) throw new Error('nothing in flight');
  return { version: client.version + 1, delta: inFlight.delta, clientId: client.clientId, seq: inFlight.seq };
}

function remote(client: ClientDocument, delta: Delta, seq = 0): IncomingOp {
  return { version: client.version + 1, delta, clientId: 'other', seq };
}

type Action = 'local' | 'noop' | 'ack' | 'remote';

function act(client: ClientDocument, action: Action): void {
  if (action === 'local') client.applyLocal(insertAt(0, 'x'));
  if (action === 'noop') client.applyLocal(new Delta().retain(2));
  if (action === 'ack') client.receive(ackOf(client));
  if (action === 'remote') client.receive(remote(client, insertAt(1, 'r')));
}

describe('ClientDocument state machine', () => {
  const transitions: [Action[], ClientState, number][] = [
    [[], 'synchronized', 0],
    [['noop'], 'synchronized', 0],
    [['remote'], 'synchronized', 0],
    [['local'], 'awaitingConfirm', 1],
    [['local', 'remote'], 'awaitingConfirm', 1],
    [['local', 'ack'], 'synchronized', 0],
    [['local', 'local'], 'awaitingWithBuffer', 2],
    [['local', 'local', 'local'], 'awaitingWithBuffer', 3],
    [['local', 'local', 'remote'], 'awaitingWithBuffer', 2],
    [['local', 'local', 'local', 'ack'], 'awaitingConfirm', 2],
    [['local', 'local', 'ack', 'ack'], 'synchronized', 0],
    [['local', 'noop'], 'awaitingConfirm', 1],
  ];
  it.each(transitions)('[C4] after %j: %s with %i pending edits', (actions, state, pending) => {
    const client = start();
    for (const action of actions) act(client, action);
    expect(client.state).toBe(state);
    expect(client.pendingCount).toBe(pending);
  });

  it('[C4] hands out the in-flight op once, then the promoted buffer with the next seq', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'x'));
    expect(client.takeOutgoing()).toEqual({ seq: 0, baseVersion: 3, delta: insertAt(0, 'x') });
    expect(client.takeOutgoing()).toBeUndefined();
    client.applyLocal(insertAt(4, 'y'));
    client.applyLocal(insertAt(5, 'z'));
    expect(client.takeOutgoing()).toBeUndefined();
    expect(client.receive(ackOf(client))).toEqual({ kind: 'ack', version: 4 });
    expect(client.takeOutgoing()).toEqual({ seq: 1, baseVersion: 4, delta: insertAt(4, 'yz') });
    expect(client.nextSeq).toBe(2);
  });

  it('[C4] an ack changes nothing on screen', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'x'));
    client.takeOutgoing();
    client.receive(ackOf(client));
    expect(client.contents.ops).toEqual([{ insert: 'xabc\n' }]);
    expect(client.version).toBe(4);
  });

  it('[C4] a remote op while an op is in flight is transformed over it', () => {
    const client = start();
    client.applyLocal(insertAt(1, 'X'));
    client.takeOutgoing();
    const result = client.receive(remote(client, insertAt(3, 'R')));
    expect(result).toEqual({ kind: 'remote', version: 4, delta: insertAt(4, 'R') });
    expect(client.contents.ops).toEqual([{ insert: 'aXbcR\n' }]);
    expect(client.inFlight).toEqual({ seq: 0, delta: insertAt(1, 'X') });
  });

  // [C1] A tie goes to the author first in string order, as on the server: 'alpha' < 'me' < 'zed'.
  const ties: [string, string, string, Delta, Delta][] = [
    [
      'alpha',
      'remote author first in order: its text goes first',
      'aRXbc\n',
      insertAt(1, 'R'),
      insertAt(2, 'X'),
    ],
    ['zed', 'our text goes first', 'aXRbc\n', insertAt(2, 'R'), insertAt(1, 'X')],
  ];
  it.each(ties)(
    '[C1] a remote insert at the same index as the in-flight one, by %j: %s',
    (author, _, contents, editorDelta, inFlight) => {
      const client = start();
      client.applyLocal(insertAt(1, 'X'));
      client.takeOutgoing();
      const result = client.receive({ version: 4, delta: insertAt(1, 'R'), clientId: author, seq: 0 });
      expect(result).toEqual({ kind: 'remote', version: 4, delta: editorDelta });
      expect(client.contents.ops).toEqual([{ insert: contents }]);
      expect(client.inFlight).toEqual({ seq: 0, delta: inFlight });
    },
  );

  it.each([
    ['alpha', 'aRXYbc\n'],
    ['zed', 'aXYRbc\n'],
  ])(
    '[C1] a remote insert at the same index as the in-flight op and the buffer, by %j: %s',
    (author, contents) => {
      const client = start();
      client.applyLocal(insertAt(1, 'X')); // in flight
      client.applyLocal(insertAt(2, 'Y')); // buffer, right after it
      client.receive({ version: 4, delta: insertAt(1, 'R'), clientId: author, seq: 0 });
      // Our two edits stay together, on one side of the remote text.
      expect(client.contents.ops).toEqual([{ insert: contents }]);
    },
  );

  it('[C4] a remote op with an op in flight and a buffer is transformed over both', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'X')); // in flight
    client.applyLocal(new Delta().retain(2).delete(2)); // buffer: deletes "bc"
    expect(client.contents.ops).toEqual([{ insert: 'Xa\n' }]);
    const result = client.receive(remote(client, new Delta().retain(2).insert('R')));
    expect(result).toEqual({ kind: 'remote', version: 4, delta: new Delta().retain(2).insert('R') });
    expect(client.contents.ops).toEqual([{ insert: 'XaR\n' }]);
    expect(client.inFlight?.delta).toEqual(insertAt(0, 'X'));
    expect(client.buffer).toEqual(new Delta().retain(2).delete(1).retain(1).delete(1));
  });

  it('[C4] a buffer whose edits cancel out is dropped', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'x'));
    client.applyLocal(insertAt(1, 'y'));
    client.applyLocal(new Delta().retain(1).delete(1));
    expect(client.state).toBe('awaitingConfirm');
    expect(client.pendingCount).toBe(1);
  });

  it('[C3] after a disconnect the in-flight op is offered again with its seq, rebased to the new version', () => {
    const client = start();
    client.applyLocal(insertAt(1, 'X'));
    expect(client.takeOutgoing()?.seq).toBe(0);
    client.markDisconnected();
    client.receive(remote(client, insertAt(0, 'R')));
    expect(client.takeOutgoing()).toEqual({ seq: 0, baseVersion: 4, delta: insertAt(2, 'X') });
    expect(client.takeOutgoing()).toBeUndefined();
  });

  it('[C3] the original commit of a resent op acknowledges it', () => {
    const client = start();
    client.applyLocal(insertAt(1, 'X'));
    const sent = client.takeOutgoing();
    client.markDisconnected();
    client.takeOutgoing();
    if (!sent) throw new Error('nothing sent');
    const result = client.receive({ version: 4, delta: sent.delta, clientId: 'me', seq: sent.seq });
    expect(result).toEqual({ kind: 'ack', version: 4 });
    expect(client.state).toBe('synchronized');
  });

  it('[C4] local edits made offline are kept and sent on reconnect', () => {
    const client = start();
    client.markDisconnected();
    client.applyLocal(insertAt(0, 'x'));
    client.applyLocal(insertAt(1, 'y'));
    expect(client.takeOutgoing()).toEqual({ seq: 0, baseVersion: 3, delta: insertAt(0, 'x') });
    client.receive(ackOf(client));
    expect(client.takeOutgoing()).toEqual({ seq: 1, baseVersion: 4, delta: insertAt(1, 'y') });
  });

  it('[C2] an op at or below the current version is stale and ignored', () => {
    const client = start();
    const before = client.contents;
    expect(client.receive({ version: 3, delta: insertAt(0, 'x'), clientId: 'other', seq: 0 })).toEqual({
      kind: 'stale',
    });
    expect(client.receive({ version: 1, delta: insertAt(0, 'x'), clientId: 'other', seq: 0 }).kind).toBe(
      'stale',
    );
    expect(client.contents).toBe(before);
    expect(client.version).toBe(3);
  });

  it('[C2] an op past the next version throws: a gap must be filled, not skipped', () => {
    const client = start();
    expect(() => client.receive({ version: 5, delta: insertAt(0, 'x'), clientId: 'other', seq: 0 })).toThrow(
      /missing ops: expected version 4, received version 5/,
    );
    expect(client.version).toBe(3);
  });

  it('[C4] an op from our clientId that is not the in-flight op is integrated as remote', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'x'));
    const result = client.receive({ version: 4, delta: insertAt(3, 'z'), clientId: 'me', seq: 7 });
    expect(result.kind).toBe('remote');
    expect(client.state).toBe('awaitingConfirm');
  });

  it('[C5] a remote op that does not apply throws and leaves the document as it was', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'x'));
    expect(() => client.receive(remote(client, new Delta().retain(10).insert('z')))).toThrow(
      /does not apply/,
    );
    expect(client.version).toBe(3);
    expect(client.contents.ops).toEqual([{ insert: 'xabc\n' }]);
    expect(client.inFlight?.delta).toEqual(insertAt(0, 'x'));
  });

  it('[D1] a local edit that does not apply throws', () => {
    const client = start();
    expect(() => client.applyLocal(new Delta().delete(4))).toThrow(/empty/);
    expect(client.state).toBe('synchronized');
  });

  it('[D1] refuses contents that are not a document', () => {
    expect(
      () => new ClientDocument({ clientId: 'me', version: 0, contents: new Delta().insert('abc') }),
    ).toThrow(/not a document/);
  });

  it('[C9] a local edit that replaces the final newline is accepted and sent keeping it in place', () => {
    const client = start();
    client.applyLocal(new Delta().retain(3).insert('\n', { header: 1 }).delete(1));
    expect(client.contents.ops).toEqual([{ insert: 'abc' }, { insert: '\n', attributes: { header: 1 } }]);
    expect(client.takeOutgoing()?.delta.ops).toEqual([
      { retain: 3 },
      { retain: 1, attributes: { header: 1 } },
    ]);
  });
});

describe('ClientDocument pending edits, for starting over from the server', () => {
  it('[C8] tracks the server document while edits are pending', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'x'));
    client.receive(remote(client, insertAt(3, 'r')));
    expect(client.confirmed).toEqual(new Delta().insert('abcr\n'));
    client.receive(ackOf(client));
    expect(client.confirmed).toEqual(client.contents);
  });

  it('[C8] gives the buffered edits without the in-flight op, on the server document', () => {
    const client = start();
    client.applyLocal(new Delta().retain(1).delete(1)); // in flight: "ac"
    client.applyLocal(new Delta().retain(2).insert('Z')); // buffered: "acZ"
    const kept = client.pendingChangeWithoutInFlight;
    expect(kept && applyChange(client.confirmed, kept)).toEqual(new Delta().insert('abcZ\n'));
    expect(applyChange(client.confirmed, client.pendingChange ?? new Delta())).toEqual(client.contents);
  });

  it('[C8] moves kept edits onto a newer server copy with their text intact', () => {
    const base = new Delta().insert('hello\n');
    const target = new Delta().insert('oh hello world\n');
    const edits = new Delta().retain(2).insert('!');
    expect(applyChange(target, rebaseOnto(base, edits, target))).toEqual(
      new Delta().insert('oh he!llo world\n'),
    );
  });
});

describe('ClientDocument presence helpers', () => {
  it('[C6] maps a server range through the in-flight op and buffer', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'XX'));
    client.applyLocal(insertAt(3, 'Y'));
    expect(client.transformRange({ index: 1, length: 2 })).toEqual({ index: 3, length: 3 });
    expect(client.transformPosition(0)).toBe(0);
  });

  it('[C6] maps a range from an older version through the ops committed since', () => {
    const client = start();
    client.receive(remote(client, insertAt(0, 'RR')));
    client.receive({ version: 5, delta: insertAt(3, 'o'), clientId: 'owner', seq: 0 });
    // Now "RRaobc\n". The owner's caret after "a" at version 3 moves past their own insert.
    expect(client.transformRange({ index: 1, length: 0 }, { version: 3, clientId: 'owner' })).toEqual({
      index: 4,
      length: 0,
    });
    // Someone else's selection of "ab" at version 4 grows around the insert inside it.
    expect(client.transformRange({ index: 2, length: 2 }, { version: 4 })).toEqual({ index: 2, length: 3 });
    expect(client.transformRange({ index: 1, length: 0 }, { version: 6 })).toBeUndefined();
  });

  it('[C6] forgets ops beyond its history limit', () => {
    const client = new ClientDocument({
      clientId: 'me',
      version: 0,
      contents: new Delta().insert('\n'),
      historyLimit: 1,
    });
    client.receive(remote(client, insertAt(0, 'a')));
    client.receive(remote(client, insertAt(0, 'b')));
    expect(client.transformRange({ index: 0, length: 0 }, { version: 1 })).toEqual({ index: 0, length: 0 });
    expect(client.transformRange({ index: 0, length: 0 }, { version: 0 })).toBeUndefined();
  });

  it('[C6] maps our own range to server coordinates', () => {
    const client = start();
    client.applyLocal(insertAt(0, 'XX'));
    client.applyLocal(new Delta().retain(3).delete(1));
    // Local "XXac\n", server "abc\n": the caret after "c" is after "c" on the server, and a selection
    // of "Xac" becomes "abc" (the unsent insert shrinks to its start, the unsent delete comes back).
    expect(client.toServerRange({ index: 4, length: 0 })).toEqual({ index: 3, length: 0 });
    expect(client.toServerRange({ index: 1, length: 3 })).toEqual({ index: 0, length: 3 });
  });
});
