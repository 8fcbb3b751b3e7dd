import { describe, expect, it } from 'vitest';
import { describeStatus, editsCount } from './connection-status';

describe('describeStatus', () => {
  it('says Connecting… before the first connection', () => {
    expect(describeStatus({ connection: 'connecting', pendingEdits: 0, everConnected: false }).text).toBe(
      'Connecting…',
    );
  });

  it('says Saved when online with nothing pending', () => {
    expect(describeStatus({ connection: 'online', pendingEdits: 0, everConnected: true })).toMatchObject({
      tone: 'saved',
      text: 'Saved',
    });
  });

  it('says Saving… while edits wait for the server', () => {
    expect(describeStatus({ connection: 'online', pendingEdits: 2, everConnected: true })).toMatchObject({
      tone: 'saving',
      text: 'Saving…',
    });
  });

  it('[C10] says Offline as soon as the browser loses its network, before the socket notices', () => {
    expect(describeStatus({ connection: 'online', pendingEdits: 2, everConnected: true }, false).text).toBe(
      'Offline — 2 edits will sync',
    );
    expect(describeStatus({ connection: 'online', pendingEdits: 0, everConnected: true }, false).text).toBe(
      'Offline',
    );
  });

  it('[C4] counts the edits that will sync while the connection is down', () => {
    expect(describeStatus({ connection: 'offline', pendingEdits: 3, everConnected: true }).text).toBe(
      'Offline — 3 edits will sync',
    );
    expect(describeStatus({ connection: 'offline', pendingEdits: 1, everConnected: true }, false).text).toBe(
      'Offline — 1 edit will sync',
    );
    expect(describeStatus({ connection: 'connecting', pendingEdits: 2, everConnected: true }).tone).toBe(
      'offline',
    );
  });

  it('says Reconnecting… after a lost connection with nothing pending', () => {
    expect(describeStatus({ connection: 'offline', pendingEdits: 0, everConnected: true })).toMatchObject({
      tone: 'reconnecting',
      text: 'Reconnecting…',
    });
  });

  it('says Offline when the browser knows it has no network and nothing is pending', () => {
    expect(describeStatus({ connection: 'offline', pendingEdits: 0, everConnected: true }, false).text).toBe(
      'Offline',
    );
    expect(
      describeStatus({ connection: 'connecting', pendingEdits: 0, everConnected: false }, false).text,
    ).toBe('Offline');
  });

  it('keeps saying Connecting… while the first connection is attempted', () => {
    expect(describeStatus({ connection: 'offline', pendingEdits: 0, everConnected: false }).text).toBe(
      'Connecting…',
    );
  });
});

describe('editsCount', () => {
  it('pluralises', () => {
    expect(editsCount(0)).toBe('0 edits');
    expect(editsCount(1)).toBe('1 edit');
    expect(editsCount(12)).toBe('12 edits');
  });
});
