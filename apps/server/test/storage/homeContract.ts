import { describe, expect, it } from 'vitest';
import type { DocumentEntry } from '../../src/storage/HomeRecords.js';
import { newDocId, run, type Store, sampleOp } from './helpers.js';

/** The documents home [H3]: part of the storage contract every adapter passes. */
export function describeHomeContract(store: () => Store, other: () => Store): void {
  const entry = (docId: string, overrides: Partial<DocumentEntry> = {}): DocumentEntry => ({
    docId,
    ownerId: 'owner-1',
    title: null,
    firstLine: 'First line',
    createdAt: 1_700_000_000_000,
    lastEditAt: 1_700_000_000_000,
    lastEditorName: 'Dana',
    trashedAt: null,
    deletedAt: null,
    ...overrides,
  });

  describe('documents home', () => {
    it('[H3] createEntry stores an entry another instance reads back; a second one keeps the first', async () => {
      const docId = newDocId('entry');
      await run(store().createEntry(entry(docId)));
      await run(other().createEntry(entry(docId, { ownerId: 'owner-2' })));
      expect(await run(other().loadEntry(docId))).toEqual(entry(docId));
      expect(await run(store().loadEntry(newDocId('no-entry')))).toBeUndefined();
    });

    it('[H3] updateEntry sets the given fields, null clears one, and a document without entry gets none', async () => {
      const docId = newDocId('entry-update');
      await run(store().createEntry(entry(docId, { title: 'Old title' })));
      await run(other().updateEntry(docId, { title: 'Renamed', lastEditAt: 5, trashedAt: 7 }));
      expect(await run(store().loadEntry(docId))).toEqual(
        entry(docId, { title: 'Renamed', lastEditAt: 5, trashedAt: 7 }),
      );
      await run(store().updateEntry(docId, { title: null, trashedAt: null, lastEditorName: null }));
      expect(await run(other().loadEntry(docId))).toEqual(
        entry(docId, { lastEditAt: 5, lastEditorName: null }),
      );

      const missing = newDocId('entry-missing');
      await run(store().updateEntry(missing, { title: 'x' }));
      expect(await run(store().loadEntry(missing))).toBeUndefined();
    });

    it("[H3] listEntries gives the entries of the documents a principal owns or visited, and only that principal's", async () => {
      const alice = newDocId('alice');
      const bob = newDocId('bob');
      const [a1, a2, shared] = [newDocId('a1'), newDocId('a2'), newDocId('shared')];
      for (const docId of [a1, a2, shared]) await run(store().createEntry(entry(docId)));
      await run(store().recordVisit(alice, a1, 1));
      await run(other().recordVisit(alice, a2, 2));
      await run(store().recordVisit(alice, shared, 3));
      await run(store().recordVisit(alice, shared, 4));
      await run(other().recordVisit(bob, shared, 5));
      const owned = newDocId('owned');
      await run(store().createEntry(entry(owned, { ownerId: bob })));
      // A visit whose document has no entry (deleted) is left out.
      await run(store().recordVisit(alice, newDocId('gone'), 6));

      const ids = (list: readonly DocumentEntry[]) => list.map((item) => item.docId).sort();
      expect(ids(await run(other().listEntries(alice)))).toEqual([a1, a2, shared].sort());
      expect(ids(await run(store().listEntries(bob)))).toEqual([owned, shared].sort());
      expect(await run(store().listEntries(newDocId('nobody')))).toEqual([]);
    });

    it('[H3] deleteContents removes the snapshot and every op of the document, and nothing of another', async () => {
      const docId = newDocId('purge');
      const kept = newDocId('kept');
      for (const id of [docId, kept]) {
        await run(store().createDocument({ docId: id, version: 0, ops: [{ insert: 'x\n' }], updatedAt: 1 }));
        await run(store().appendOp(sampleOp(id, 1)));
        await run(store().appendOp(sampleOp(id, 2)));
      }
      await run(other().deleteContents(docId));
      expect(await run(store().loadSnapshot(docId))).toBeUndefined();
      expect(await run(store().readOps(docId, 0))).toEqual([]);
      expect(await run(store().readOps(kept, 0))).toHaveLength(2);
      expect(await run(store().loadSnapshot(kept))).toBeDefined();
    });
  });
}
