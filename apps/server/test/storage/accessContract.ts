import { Effect } from 'effect';
import { describe, expect, it } from 'vitest';
import type { AccessRecord, BrowserSessionRecord } from '../../src/storage/AccessRecords.js';
import { newDocId, run, runFailure, type Store } from './helpers.js';

/** Access records and browser sessions [A1] [A2]: part of the storage contract every adapter passes. */
export function describeAccessContract(store: () => Store, other: () => Store): void {
  const record = (docId: string, overrides: Partial<AccessRecord> = {}): AccessRecord => ({
    docId,
    ownerId: 'author-1',
    generalAccess: 'restricted',
    viewerKey: 'viewer-key-0123456789',
    editorKey: null,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  });

  describe('access records', () => {
    it('[A2] createAccess stores a record that another instance reads back', async () => {
      const docId = newDocId('access');
      await run(store().createAccess(record(docId)));
      expect(await run(other().loadAccess(docId))).toEqual(record(docId));
    });

    it('[A2] a document without a record has none, and its seed item is untouched', async () => {
      const docId = newDocId('access-none');
      await run(store().createDocument({ docId, version: 0, ops: [{ insert: 'x\n' }], updatedAt: 1 }));
      expect(await run(store().loadAccess(docId))).toBeUndefined();
      expect((await run(store().loadSnapshot(docId)))?.ops).toEqual([{ insert: 'x\n' }]);
    });

    it('[A2] createAccess on an existing record fails with AccessAlreadyExists and keeps the first', async () => {
      const docId = newDocId('access-twice');
      await run(store().createAccess(record(docId)));
      const failure = await runFailure(other().createAccess(record(docId, { ownerId: 'author-2' })));
      expect((failure as { _tag: string })._tag).toBe('AccessAlreadyExists');
      expect((await run(store().loadAccess(docId)))?.ownerId).toBe('author-1');
    });

    it('[A2] concurrent createAccess of one document: exactly one wins', async () => {
      const docId = newDocId('access-race');
      const exits = await Promise.all([
        Effect.runPromiseExit(store().createAccess(record(docId, { ownerId: 'a' }))),
        Effect.runPromiseExit(other().createAccess(record(docId, { ownerId: 'b' }))),
      ]);
      expect(exits.filter((exit) => exit._tag === 'Success')).toHaveLength(1);
    });

    it('[A2] saveAccess replaces the settings; null owner and links round-trip', async () => {
      const docId = newDocId('access-save');
      await run(store().createAccess(record(docId)));
      const changed = record(docId, {
        ownerId: null,
        generalAccess: 'view',
        viewerKey: null,
        editorKey: 'editor-key-0123456789',
        updatedAt: 1_700_000_000_500,
      });
      await run(other().saveAccess(changed));
      expect(await run(store().loadAccess(docId))).toEqual(changed);
    });
  });

  describe('browser sessions', () => {
    const session = (secretHash: string, name: string | null): BrowserSessionRecord => ({
      secretHash,
      authorId: `s-${secretHash.slice(0, 8)}`,
      name,
      color: name ? '#aa3300' : null,
      createdAt: 1_700_000_000_000,
    });

    it('[A1] a saved session is found by its secret hash on another instance; a profile update replaces it', async () => {
      const hash = newDocId('hash');
      expect(await run(store().loadBrowserSession(hash))).toBeUndefined();
      await run(store().saveBrowserSession(session(hash, null)));
      expect(await run(other().loadBrowserSession(hash))).toEqual(session(hash, null));
      await run(other().saveBrowserSession(session(hash, 'Ada')));
      expect(await run(store().loadBrowserSession(hash))).toEqual(session(hash, 'Ada'));
    });
  });
}
