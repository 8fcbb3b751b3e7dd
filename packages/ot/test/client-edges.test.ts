import { describe, expect, it } from 'vitest';
import { ClientDocument, Delta, type IncomingOp } from '../src/index.js';

const client = (version = 0, contents = 'abc\n') =>
  new ClientDocument({ clientId: 'me', version, contents: new Delta().insert(contents) });
const insertAt = (index: number, text: string) => new Delta().retain(index).insert(text);
const op = (version: number, delta: Delta, clientId = 'other', seq = 0): IncomingOp => ({
  version,
  delta,
  clientId,
  seq,
});

describe('ClientDocument edges', () => {
  it.each([-1, 1.5, Number.NaN])('[D2] refuses to start at version %s', (version) => {
    expect(() => client(version)).toThrow(`version must be a non-negative integer, got ${version}`);
  });

  it('[D2] starts at version 0', () => {
    expect(client(0).version).toBe(0);
  });

  it('[C2] an op under its own client id with nothing in flight (another tab, an earlier session) is a remote op', () => {
    const doc = client();
    const result = doc.receive(op(1, insertAt(0, 'x'), 'me', 7));
    expect(result).toEqual({ kind: 'remote', version: 1, delta: insertAt(0, 'x') });
  });

  it('[C6] a range at the current version is only moved through local edits', () => {
    const doc = client(5);
    expect(doc.transformRange({ index: 1, length: 1 }, { version: 5 })).toEqual({ index: 1, length: 1 });
  });

  it('[C6] a range at a version older than the remembered ops cannot be placed', () => {
    expect(client(5).transformRange({ index: 1, length: 0 }, { version: 3 })).toBeUndefined();
  });

  it('[C6] a range from version 0 moves through every op since', () => {
    const doc = client(0);
    doc.receive(op(1, insertAt(0, 'xy')));
    expect(doc.transformRange({ index: 1, length: 0 }, { version: 0, clientId: 'someone' })).toEqual({
      index: 3,
      length: 0,
    });
  });

  it('[C6] a range moves through exactly the ops after its version', () => {
    const doc = client(0, 'a\n');
    doc.receive(op(1, insertAt(0, 'b')));
    doc.receive(op(2, insertAt(0, 'c')));
    doc.receive(op(3, insertAt(0, 'd')));
    // At version 2 the document is "cba\n"; only op 3 is after it.
    expect(doc.transformRange({ index: 1, length: 0 }, { version: 2, clientId: 'someone' })).toEqual({
      index: 2,
      length: 0,
    });
  });

  it('[C6] own ranges go to server coordinates through the op in flight alone, or through nothing', () => {
    const doc = client();
    expect(doc.toServerRange({ index: 2, length: 1 })).toEqual({ index: 2, length: 1 });
    doc.applyLocal(insertAt(0, 'xx'));
    expect(doc.toServerRange({ index: 4, length: 1 })).toEqual({ index: 2, length: 1 });
  });

  it('[C6] own ranges go through the buffer, then the op in flight', () => {
    const doc = client();
    doc.applyLocal(insertAt(0, 'xx'));
    doc.takeOutgoing();
    doc.applyLocal(insertAt(0, 'yyy'));
    expect(doc.toServerRange({ index: 6, length: 0 })).toEqual({ index: 1, length: 0 });
  });
});
