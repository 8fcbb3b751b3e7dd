import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deltaText } from '../support/editing.js';
import { expectCleanHistory } from '../support/history.js';
import { type ServerProcess, startServer } from '../support/server.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';
import { failureOf, httpApi } from '../support/trpc.js';

describe.each(storageKinds)('durable dedupe on %s', (kind) => {
  let storage: TestStorage;
  let server: ServerProcess;
  // A tiny in-memory window, so that only storage can recognise an old op.
  const env = () => ({ ...storage.env('dedupe'), RECENT_OPS_WINDOW: '3' });

  beforeAll(async () => {
    storage = await startStorage(kind);
    server = await startServer({ env: env() });
  });
  afterAll(async () => {
    await server?.stop();
    await storage?.stop();
  });

  it('[C3] a resubmit of any age, from a later base and after a restart, is answered with its original version', async () => {
    const docId = 'resubmit-late';
    let api = httpApi(server.httpUrl);
    await api.documents.getOrCreate.mutate({ id: docId });
    const first = {
      id: docId,
      clientId: 'anon.late-client',
      seq: 7,
      baseVersion: 0,
      delta: { ops: [{ insert: 'hello ' }] },
    };
    expect(await api.documents.submit.mutate(first)).toEqual({ version: 1 });
    // Others type after it, far past the in-memory window.
    for (let i = 0; i < 20; i++) {
      await api.documents.submit.mutate({
        id: docId,
        clientId: 'anon.other',
        seq: i,
        baseVersion: i + 1,
        delta: { ops: [{ retain: 6 + i }, { insert: 'x' }] },
      });
    }
    // A restart empties every in-memory record of the op.
    await server.stop();
    server = await startServer({ env: env() });
    api = httpApi(server.httpUrl);

    // The client never saw its ack: it resends its op rebased over everything it has seen since.
    const resent = { ...first, baseVersion: 21, delta: { ops: [{ retain: 26 }, { insert: 'hello ' }] } };
    expect(await api.documents.submit.mutate(resent)).toEqual({ version: 1 });
    // Also from its original base, where it no longer fits as it is.
    expect(await api.documents.submit.mutate(first)).toEqual({ version: 1 });
    const stored = await api.documents.get.query({ id: docId });
    expect(stored.version).toBe(21);
    expect(deltaText(stored.delta)).toBe(`hello ${'x'.repeat(20)}\n`);
    await expectCleanHistory(api, docId, 21);
  });

  it('[C3] a different op under a used (clientId, seq) is refused and changes nothing', async () => {
    const docId = 'reused-seq';
    const api = httpApi(server.httpUrl);
    await api.documents.getOrCreate.mutate({ id: docId });
    const op = {
      id: docId,
      clientId: 'anon.reuser',
      seq: 0,
      baseVersion: 0,
      delta: { ops: [{ insert: 'one' }] },
    };
    expect(await api.documents.submit.mutate(op)).toEqual({ version: 1 });
    for (const baseVersion of [0, 1]) {
      const error = await failureOf(
        api.documents.submit.mutate({ ...op, baseVersion, delta: { ops: [{ insert: 'two' }] } }),
      );
      expect(error).toMatchObject({ code: 'BAD_REQUEST', tag: 'InvalidOperation' });
      expect(error.message).toContain('already used');
    }
    const stored = await api.documents.get.query({ id: docId });
    expect(stored.version).toBe(1);
    expect(deltaText(stored.delta)).toBe('one\n');
  });
});
