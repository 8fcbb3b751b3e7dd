import type { Op } from '@collab/protocol';
import { Effect, Exit, type Layer, Option } from 'effect';
import QuillDelta from 'quill-delta';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStore, Snapshot, StoredOp } from '../../src/storage/DocumentStore.js';
import { describeAccessContract } from './accessContract.js';
import {
  fingerprint,
  largeDocument,
  newDocId,
  type OpenStore,
  openStore,
  randomWords,
  run,
  runFailure,
  sampleOp,
} from './helpers.js';
import { describeHomeContract } from './homeContract.js';
import { describeImageContract } from './imageContract.js';

/**
 * Makes a new store instance on the adapter's test database. Called twice per suite: both instances must
 * share one database (same file, same tables), as two server processes would.
 */
export type StoreLayerFactory = () =>
  | Layer.Layer<DocumentStore, unknown>
  | Promise<Layer.Layer<DocumentStore, unknown>>;

export interface ContractOptions {
  /** Timeout of the multi-megabyte tests, for adapters that talk to a server. */
  readonly largeTestTimeoutMs?: number;
}

// quill-delta is CommonJS typed as an ES default export: under NodeNext the class is on `.default`.
const Delta = QuillDelta.default;
type Delta = QuillDelta.default;

const createdAt = 1_700_000_000_000;

function snapshotOf(
  docId: string,
  version: number,
  ops: readonly Op[],
  updatedAt = createdAt + version,
): Snapshot {
  return { docId, version, ops, updatedAt };
}

/**
 * The behaviour every `DocumentStore` adapter must have, run by each adapter's own test file (the way
 * ShareDB's db tests are). Tests use fresh document ids, so the database may be shared by all of them.
 */
export function describeDocumentStoreContract(
  name: string,
  makeLayer: StoreLayerFactory,
  options: ContractOptions = {},
): void {
  const largeTimeout = options.largeTestTimeoutMs ?? 60_000;

  describe(`[S8] DocumentStore contract: ${name}`, () => {
    let first: OpenStore | undefined;
    let second: OpenStore | undefined;
    const store = () => {
      if (first === undefined) throw new Error('the store did not open');
      return first.store;
    };
    const other = () => {
      if (second === undefined) throw new Error('the second store did not open');
      return second.store;
    };

    beforeAll(async () => {
      first = await openStore(await makeLayer());
      second = await openStore(await makeLayer());
    }, 120_000);

    afterAll(async () => {
      await second?.dispose();
      await first?.dispose();
    });

    describeAccessContract(store, other);
    describeHomeContract(store, other);
    describeImageContract(store, other, { largeTimeoutMs: largeTimeout });

    describe('documents', () => {
      it('createDocument stores the contents at version 0 and loadSnapshot returns them', async () => {
        const docId = newDocId('create');
        const ops: Op[] = [
          { insert: 'Hello' },
          { insert: ' world', attributes: { bold: true } },
          { insert: '\n' },
        ];
        await run(store().createDocument(snapshotOf(docId, 0, ops, createdAt)));
        expect(await run(store().loadSnapshot(docId))).toEqual({
          docId,
          version: 0,
          ops,
          updatedAt: createdAt,
        });
        expect(await run(store().readOps(docId, 0))).toEqual([]);
      });

      it('createDocument on an existing id fails with DocumentAlreadyExists and keeps the first contents', async () => {
        const docId = newDocId('create-twice');
        await run(store().createDocument(snapshotOf(docId, 0, [{ insert: 'first\n' }])));
        const error = await runFailure(
          store().createDocument(snapshotOf(docId, 0, [{ insert: 'second\n' }])),
        );
        expect(error._tag).toBe('DocumentAlreadyExists');
        expect(error).toMatchObject({ docId });
        expect((await run(store().loadSnapshot(docId)))?.ops).toEqual([{ insert: 'first\n' }]);
      });

      it('[D2] createDocument at a version other than 0 is a defect and stores nothing', async () => {
        const docId = newDocId('create-v3');
        const exit = await Effect.runPromiseExit(
          store().createDocument(snapshotOf(docId, 3, [{ insert: '\n' }])),
        );
        expect(Exit.isFailure(exit)).toBe(true);
        expect(Option.isNone(Exit.findErrorOption(exit))).toBe(true);
        expect(await run(store().loadSnapshot(docId))).toBeUndefined();
      });

      it('an unknown document has no snapshot and no ops', async () => {
        const docId = newDocId('unknown');
        expect(await run(store().loadSnapshot(docId))).toBeUndefined();
        expect(await run(store().readOps(docId, 0))).toEqual([]);
      });

      it('a document created by one instance is read by another', async () => {
        const docId = newDocId('cross-instance');
        await run(store().createDocument(snapshotOf(docId, 0, [{ insert: 'shared\n' }])));
        await run(store().appendOp(sampleOp(docId, 1)));
        expect((await run(other().loadSnapshot(docId)))?.ops).toEqual([{ insert: 'shared\n' }]);
        expect(await run(other().readOps(docId, 0))).toEqual([sampleOp(docId, 1)]);
      });

      it('unicode, emoji, embeds and attributes round-trip unchanged', async () => {
        const docId = newDocId('unicode');
        const ops: Op[] = [
          { insert: 'héllo wörld — 你好, мир, שלום, مرحبا ' },
          {
            insert: '👩🏽‍💻🎉🇫🇷 e\u0301 \u0000\u2028\u2029 "quotes" \\ back\\slash',
            attributes: { bold: true },
          },
          {
            insert: { image: 'https://example.invalid/a.png?x=1&y="2"' },
            attributes: { alt: 'ünïcødé', width: 120 },
          },
          { insert: { formula: 'e^{i\\pi} + 1 = 0' } },
          {
            insert: 'link',
            attributes: { link: 'https://example.invalid', color: '#ff0000', underline: false },
          },
          { insert: '\n', attributes: { header: 1, list: 'bullet', indent: 2 } },
        ];
        await run(store().createDocument(snapshotOf(docId, 0, ops)));
        expect((await run(store().loadSnapshot(docId)))?.ops).toEqual(ops);

        const op: StoredOp = {
          docId,
          version: 1,
          ops: [
            { retain: 3, attributes: { bold: null, italic: true } },
            { insert: '🙂\u{1F600}' },
            { delete: 2 },
          ],
          clientId: 'client-Ωmega_1',
          seq: Number.MAX_SAFE_INTEGER,
          createdAt: createdAt + 1,
        };
        await run(store().appendOp(op));
        expect(await run(store().readOps(docId, 0))).toEqual([op]);
      });
    });

    describe('op log', () => {
      it('[D2] appended ops read back in version order with every field', async () => {
        const docId = newDocId('append');
        const ops = [1, 2, 3, 4, 5].map((version) => sampleOp(docId, version));
        for (const op of ops) await run(store().appendOp(op));
        expect(await run(store().readOps(docId, 0))).toEqual(ops);
      });

      it('[S1] appendOp on a taken version fails with VersionTaken and leaves the stored op unchanged', async () => {
        const docId = newDocId('taken');
        const winner = sampleOp(docId, 1, 'winner');
        await run(store().appendOp(winner));
        const error = await runFailure(store().appendOp(sampleOp(docId, 1, 'loser')));
        expect(error._tag).toBe('VersionTaken');
        expect(error).toMatchObject({ docId, version: 1 });
        // Same client and seq, different contents: the id is taken too, and named first.
        const replay = { ...winner, ops: [{ insert: 'different' }] };
        expect(await runFailure(store().appendOp(replay))).toMatchObject({ _tag: 'OpIdTaken', version: 1 });
        expect(await run(store().readOps(docId, 0))).toEqual([winner]);
      });

      it('[C3] appendOp of a used (clientId, seq) at a later version fails with OpIdTaken and writes nothing', async () => {
        const docId = newDocId('op-id');
        const first = { ...sampleOp(docId, 1), hash: 'hash-of-first' };
        await run(store().appendOp(first));
        for (let version = 2; version <= 40; version++) await run(store().appendOp(sampleOp(docId, version)));
        // A resubmit of any age: forty versions later, on the other instance.
        const late = {
          ...sampleOp(docId, 41),
          clientId: first.clientId,
          seq: first.seq,
          hash: 'hash-of-first',
        };
        expect(await runFailure(other().appendOp(late))).toMatchObject({
          _tag: 'OpIdTaken',
          docId,
          version: 1,
          hash: 'hash-of-first',
        });
        const stored = await run(store().readOps(docId, 0));
        expect(stored).toHaveLength(40);
        expect(stored[0]).toEqual(first);
        // The version stayed free: a different op takes it.
        await run(store().appendOp(sampleOp(docId, 41)));
      });

      it('[C3] findOp finds a committed op by (clientId, seq), with its version and hash', async () => {
        const docId = newDocId('find-op');
        await run(store().appendOp({ ...sampleOp(docId, 1), hash: 'h1' }));
        await run(store().appendOp(sampleOp(docId, 2)));
        expect(await run(other().findOp(docId, 'client-a', 10))).toEqual({ version: 1, hash: 'h1' });
        expect(await run(other().findOp(docId, 'client-a', 20))).toEqual({ version: 2, hash: undefined });
        expect(await run(other().findOp(docId, 'client-a', 30))).toBeUndefined();
        expect(await run(other().findOp(docId, 'client-b', 10))).toBeUndefined();
        expect(await run(other().findOp(newDocId('find-op-other'), 'client-a', 10))).toBeUndefined();
      });

      it('[C3] one (clientId, seq) on two documents names two ops', async () => {
        const first = newDocId('op-id-a');
        const second = newDocId('op-id-b');
        await run(store().appendOp(sampleOp(first, 1)));
        await run(store().appendOp({ ...sampleOp(second, 1), seq: 10 }));
        expect(await run(store().readOps(second, 0))).toHaveLength(1);
      });

      it('readOps honours afterVersion, toVersion and limit', async () => {
        const docId = newDocId('ranges');
        const ops = Array.from({ length: 10 }, (_, index) => sampleOp(docId, index + 1));
        for (const op of ops) await run(store().appendOp(op));
        const versions = async (after: number, to?: number, limit?: number) =>
          (await run(store().readOps(docId, after, to, limit))).map((op) => op.version);

        expect(await versions(0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await versions(3)).toEqual([4, 5, 6, 7, 8, 9, 10]);
        expect(await versions(3, 6)).toEqual([4, 5, 6]);
        expect(await versions(3, 6, 2)).toEqual([4, 5]);
        expect(await versions(0, undefined, 3)).toEqual([1, 2, 3]);
        expect(await versions(8, 100)).toEqual([9, 10]);
        expect(await versions(9, 10)).toEqual([10]);
        expect(await versions(10)).toEqual([]);
        expect(await versions(5, 5)).toEqual([]);
        expect(await versions(6, 4)).toEqual([]);
        expect(await versions(0, undefined, 0)).toEqual([]);
        expect(await versions(0, 10, 100)).toHaveLength(10);
      });

      it('[D2] readOps orders by numeric version whatever the append order', async () => {
        const docId = newDocId('order');
        const versions = Array.from({ length: 25 }, (_, index) => index + 1);
        // A fixed shuffle that puts 10 before 9 and 20 before 3, catching string ordering of versions.
        const shuffled = [
          10, 20, 3, 25, 1, 9, 15, 2, 11, 19, 4, 24, 5, 12, 8, 21, 6, 18, 13, 7, 23, 14, 22, 16, 17,
        ];
        expect([...shuffled].sort((a, b) => a - b)).toEqual(versions);
        for (const version of shuffled) await run(store().appendOp(sampleOp(docId, version)));
        expect((await run(store().readOps(docId, 0))).map((op) => op.version)).toEqual(versions);
        expect((await run(store().readOps(docId, 8, 12))).map((op) => op.version)).toEqual([9, 10, 11, 12]);
      });

      it('ops and snapshots of different documents are isolated', async () => {
        const base = newDocId('isolated');
        const docIds = [base, `${base}-2`, `${base}_2`, `${base}2`];
        for (const [index, docId] of docIds.entries()) {
          await run(store().createDocument(snapshotOf(docId, 0, [{ insert: `${index}\n` }])));
          await run(store().appendOp(sampleOp(docId, 1, `client-${index}`)));
          await run(store().appendOp(sampleOp(docId, 2, `client-${index}`)));
        }
        for (const [index, docId] of docIds.entries()) {
          const ops = await run(store().readOps(docId, 0));
          expect(ops).toEqual([sampleOp(docId, 1, `client-${index}`), sampleOp(docId, 2, `client-${index}`)]);
          expect((await run(store().loadSnapshot(docId)))?.ops).toEqual([{ insert: `${index}\n` }]);
        }
      });
    });

    describe('snapshots', () => {
      it('[S2] saveSnapshot moves forward and never backwards', async () => {
        const docId = newDocId('forward');
        await run(store().createDocument(snapshotOf(docId, 0, [{ insert: 'v0\n' }])));
        await run(store().saveSnapshot(snapshotOf(docId, 5, [{ insert: 'v5\n' }])));
        expect(await run(store().loadSnapshot(docId))).toEqual(snapshotOf(docId, 5, [{ insert: 'v5\n' }]));

        await run(store().saveSnapshot(snapshotOf(docId, 3, [{ insert: 'v3\n' }])));
        await run(store().saveSnapshot(snapshotOf(docId, 5, [{ insert: 'other v5\n' }], createdAt + 99)));
        await run(store().saveSnapshot(snapshotOf(docId, 0, [{ insert: 'v0 again\n' }])));
        expect(await run(store().loadSnapshot(docId))).toEqual(snapshotOf(docId, 5, [{ insert: 'v5\n' }]));

        await run(store().saveSnapshot(snapshotOf(docId, 7, [{ insert: 'v7\n' }])));
        expect(await run(store().loadSnapshot(docId))).toEqual(snapshotOf(docId, 7, [{ insert: 'v7\n' }]));
      });

      it('[S2] saveSnapshot stores a snapshot for a document that has none', async () => {
        const docId = newDocId('upsert');
        await run(store().saveSnapshot(snapshotOf(docId, 4, [{ insert: 'v4\n' }])));
        expect(await run(store().loadSnapshot(docId))).toEqual(snapshotOf(docId, 4, [{ insert: 'v4\n' }]));
        expect(
          (await runFailure(store().createDocument(snapshotOf(docId, 0, [{ insert: '\n' }]))))._tag,
        ).toBe('DocumentAlreadyExists');
      });

      it('[S2] a snapshot plus the ops after it reconstruct the document', async () => {
        const docId = newDocId('rebuild');
        const initial = new Delta([{ insert: 'The quick brown fox\n' }]);
        let document = initial;
        const changes: Delta[] = [];
        for (let version = 1; version <= 20; version++) {
          const length = document.length();
          const at = (version * 7) % length;
          const change =
            version % 3 === 0 && length - at > 2
              ? new Delta().retain(at).delete(1)
              : version % 3 === 1
                ? new Delta().retain(at).insert(`[${version}]`, { bold: true })
                : new Delta().retain(at).retain(1, { italic: true });
          changes.push(change);
          document = document.compose(change);
        }

        await run(store().createDocument(snapshotOf(docId, 0, initial.ops as Op[])));
        for (const [index, change] of changes.entries()) {
          await run(
            store().appendOp({
              docId,
              version: index + 1,
              ops: change.ops as Op[],
              clientId: 'editor',
              seq: index,
              createdAt: createdAt + index,
            }),
          );
        }
        const atTwelve = changes.slice(0, 12).reduce((doc, change) => doc.compose(change), initial);
        await run(store().saveSnapshot(snapshotOf(docId, 12, atTwelve.ops as Op[])));

        for (const reader of [store(), other()]) {
          const snapshot = await run(reader.loadSnapshot(docId));
          expect(snapshot?.version).toBe(12);
          const after = await run(reader.readOps(docId, snapshot?.version ?? 0));
          expect(after.map((op) => op.version)).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
          const rebuilt = after.reduce(
            (doc, op) => doc.compose(new Delta([...op.ops])),
            new Delta([...(snapshot?.ops ?? [])]),
          );
          expect(rebuilt.ops).toEqual(document.ops);
        }
        // The op log alone gives the same document: snapshots are only a cache of it.
        const fromLog = (await run(store().readOps(docId, 0))).reduce(
          (doc, op) => doc.compose(new Delta([...op.ops])),
          initial,
        );
        expect(fromLog.ops).toEqual(document.ops);
      });

      it(
        '[S6] a 5 MB document is created, replaced and shrunk intact',
        async () => {
          const docId = newDocId('large-doc');
          const five = largeDocument(5 * 1024 * 1024, 11);
          await run(store().createDocument(snapshotOf(docId, 0, five)));
          expect(fingerprint((await run(other().loadSnapshot(docId)))?.ops)).toBe(fingerprint(five));

          const six = largeDocument(6 * 1024 * 1024, 12);
          await run(store().saveSnapshot(snapshotOf(docId, 40, six)));
          const loaded = await run(other().loadSnapshot(docId));
          expect(loaded?.version).toBe(40);
          expect(fingerprint(loaded?.ops)).toBe(fingerprint(six));

          const small: Op[] = [{ insert: 'small again\n' }];
          await run(store().saveSnapshot(snapshotOf(docId, 41, small)));
          expect(await run(other().loadSnapshot(docId))).toEqual(snapshotOf(docId, 41, small));
        },
        largeTimeout,
      );

      it(
        '[S6] a 1 MB op is stored and read back intact',
        async () => {
          const docId = newDocId('large-op');
          const paste: StoredOp = {
            docId,
            version: 1,
            ops: [{ retain: 10 }, { insert: randomWords(1024 * 1024, 21), attributes: { code: true } }],
            clientId: 'paster',
            seq: 1,
            createdAt,
          };
          await run(store().appendOp(paste));
          await run(store().appendOp(sampleOp(docId, 2)));
          const read = await run(other().readOps(docId, 0));
          expect(read.map((op) => op.version)).toEqual([1, 2]);
          expect(fingerprint(read[0])).toBe(fingerprint(paste));
          expect(read[1]).toEqual(sampleOp(docId, 2));
          expect((await runFailure(other().appendOp({ ...paste, clientId: 'late' })))._tag).toBe(
            'VersionTaken',
          );
          expect(fingerprint((await run(store().readOps(docId, 0, 1)))[0])).toBe(fingerprint(paste));
        },
        largeTimeout,
      );
    });

    describe('two instances on one database', () => {
      it('[S1] concurrent appendOp of the same version: exactly one wins, the other gets VersionTaken', async () => {
        const docId = newDocId('race');
        const winners: string[] = [];
        for (let version = 1; version <= 20; version++) {
          const exits = await Promise.all([
            Effect.runPromiseExit(store().appendOp(sampleOp(docId, version, 'first'))),
            Effect.runPromiseExit(other().appendOp(sampleOp(docId, version, 'second'))),
          ]);
          const won = exits.filter(Exit.isSuccess);
          expect(won).toHaveLength(1);
          const lost = exits.find(Exit.isFailure);
          const error = lost === undefined ? undefined : Option.getOrUndefined(Exit.findErrorOption(lost));
          expect(error).toMatchObject({ _tag: 'VersionTaken', docId, version });
          winners.push(exits[0] !== undefined && Exit.isSuccess(exits[0]) ? 'first' : 'second');
        }
        const stored = await run(store().readOps(docId, 0));
        expect(stored).toEqual(winners.map((clientId, index) => sampleOp(docId, index + 1, clientId)));
      });

      it('[C3] concurrent appendOp of one (clientId, seq) at two versions: exactly one commits', async () => {
        const docId = newDocId('op-id-race');
        for (let seq = 1; seq <= 10; seq++) {
          const base = (seq - 1) * 2;
          const exits = await Promise.all([
            Effect.runPromiseExit(store().appendOp({ ...sampleOp(docId, base + 1), seq, hash: 'same' })),
            Effect.runPromiseExit(other().appendOp({ ...sampleOp(docId, base + 2), seq, hash: 'same' })),
          ]);
          expect(exits.filter(Exit.isSuccess)).toHaveLength(1);
          const lost = exits.find(Exit.isFailure);
          const error = lost === undefined ? undefined : Option.getOrUndefined(Exit.findErrorOption(lost));
          expect(error).toMatchObject({ _tag: 'OpIdTaken', docId, hash: 'same' });
          // Keep versions contiguous for the next round: fill whichever version was left free.
          const won = exits[0] !== undefined && Exit.isSuccess(exits[0]) ? base + 1 : base + 2;
          await run(
            store().appendOp({ ...sampleOp(docId, won === base + 1 ? base + 2 : base + 1), seq: 1000 + seq }),
          );
        }
        const ids = (await run(store().readOps(docId, 0))).map((op) => `${op.clientId}/${op.seq}`);
        expect(new Set(ids).size).toBe(20);
      });

      it('concurrent createDocument of one id: exactly one wins', async () => {
        const docId = newDocId('create-race');
        const exits = await Promise.all([
          Effect.runPromiseExit(store().createDocument(snapshotOf(docId, 0, [{ insert: 'first\n' }]))),
          Effect.runPromiseExit(other().createDocument(snapshotOf(docId, 0, [{ insert: 'second\n' }]))),
        ]);
        expect(exits.filter(Exit.isSuccess)).toHaveLength(1);
        const winner = exits[0] !== undefined && Exit.isSuccess(exits[0]) ? 'first' : 'second';
        expect((await run(other().loadSnapshot(docId)))?.ops).toEqual([{ insert: `${winner}\n` }]);
      });

      it('[S2] concurrent saveSnapshot keeps the newest version', async () => {
        const docId = newDocId('snapshot-race');
        await run(store().createDocument(snapshotOf(docId, 0, [{ insert: '\n' }])));
        await Promise.all(
          [3, 9, 1, 7, 5, 8, 2].map((version, index) =>
            run(
              (index % 2 === 0 ? store() : other()).saveSnapshot(
                snapshotOf(docId, version, [{ insert: `${version}\n` }]),
              ),
            ),
          ),
        );
        expect(await run(store().loadSnapshot(docId))).toEqual(snapshotOf(docId, 9, [{ insert: '9\n' }]));
      });
    });

    describe('history', () => {
      it('[H1] createDocument keeps version 0 for history, so the first contents survive later snapshots', async () => {
        const docId = newDocId('history-zero');
        await run(store().createDocument(snapshotOf(docId, 0, [{ insert: 'first\n' }])));
        await run(store().saveSnapshot(snapshotOf(docId, 4, [{ insert: 'later\n' }])));
        expect(await run(other().loadArchivedSnapshot(docId, 3))).toEqual(
          snapshotOf(docId, 0, [{ insert: 'first\n' }]),
        );
      });

      it('[H1] loadArchivedSnapshot gives the newest kept snapshot at or before a version', async () => {
        const docId = newDocId('history-nearest');
        await run(store().createDocument(snapshotOf(docId, 0, [{ insert: '\n' }])));
        for (const version of [500, 1000]) {
          await run(store().archiveSnapshot(snapshotOf(docId, version, [{ insert: `at ${version}\n` }])));
        }
        expect((await run(other().loadArchivedSnapshot(docId, 499)))?.version).toBe(0);
        expect((await run(other().loadArchivedSnapshot(docId, 500)))?.ops).toEqual([{ insert: 'at 500\n' }]);
        expect((await run(other().loadArchivedSnapshot(docId, 999)))?.version).toBe(500);
        expect((await run(other().loadArchivedSnapshot(docId, 5000)))?.version).toBe(1000);
        expect(await run(other().loadArchivedSnapshot(newDocId('history-none'), 10))).toBeUndefined();
      });

      it('[H1] a kept snapshot is written once: archiving the same version again changes nothing', async () => {
        const docId = newDocId('history-once');
        await run(store().archiveSnapshot(snapshotOf(docId, 7, [{ insert: 'kept\n' }])));
        await run(other().archiveSnapshot(snapshotOf(docId, 7, [{ insert: 'kept\n' }], 99)));
        expect(await run(store().loadArchivedSnapshot(docId, 7))).toEqual(
          snapshotOf(docId, 7, [{ insert: 'kept\n' }]),
        );
      });

      it(
        '[H1][S6] a multi-megabyte kept snapshot reads back intact',
        async () => {
          const docId = newDocId('history-large');
          const ops = largeDocument(3 * 1024 * 1024, 17);
          await run(store().archiveSnapshot(snapshotOf(docId, 1000, ops)));
          expect(fingerprint((await run(other().loadArchivedSnapshot(docId, 1200)))?.ops)).toBe(
            fingerprint(ops),
          );
        },
        largeTimeout,
      );

      it('[H1] readOpSummaries gives version, client and time of each op in a range, without deltas', async () => {
        const docId = newDocId('history-summaries');
        for (let version = 1; version <= 6; version++) {
          await run(store().appendOp(sampleOp(docId, version, version % 2 ? 'ada.1' : 'grace')));
        }
        const ops = await run(other().readOps(docId, 1, 5));
        expect(await run(other().readOpSummaries(docId, 1, 5, 100))).toEqual(
          ops.map((op) => ({ version: op.version, clientId: op.clientId, createdAt: op.createdAt })),
        );
        expect((await run(store().readOpSummaries(docId, 0, 6, 2))).map((op) => op.version)).toEqual([1, 2]);
        expect(await run(store().readOpSummaries(docId, 6, 6, 10))).toEqual([]);
      });

      it('[H1] version names are stored per version, renamed in place, listed oldest first', async () => {
        const docId = newDocId('history-names');
        await run(store().saveVersionName({ docId, version: 9, name: 'Draft', createdAt: 1 }));
        await run(store().saveVersionName({ docId, version: 3, name: 'Outline', createdAt: 2 }));
        await run(other().saveVersionName({ docId, version: 9, name: 'Final draft', createdAt: 3 }));
        expect(await run(store().listVersionNames(docId))).toEqual([
          { docId, version: 3, name: 'Outline', createdAt: 2 },
          { docId, version: 9, name: 'Final draft', createdAt: 3 },
        ]);
        expect(await run(store().listVersionNames(newDocId('history-unnamed')))).toEqual([]);
      });

      it('[H1] author profiles are replaced on save and unknown authors are left out', async () => {
        const ada = newDocId('ada');
        const grace = newDocId('grace');
        await run(store().saveAuthor({ authorId: ada, name: 'Ada', color: '#d93025', updatedAt: 1 }));
        await run(other().saveAuthor({ authorId: ada, name: 'Ada L.', color: '#188038', updatedAt: 2 }));
        await run(store().saveAuthor({ authorId: grace, name: 'Grace', color: '#1a73e8', updatedAt: 3 }));
        const found = await run(other().loadAuthors([ada, grace, newDocId('nobody')]));
        expect([...found].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
          { authorId: ada, name: 'Ada L.', color: '#188038', updatedAt: 2 },
          { authorId: grace, name: 'Grace', color: '#1a73e8', updatedAt: 3 },
        ]);
        expect(await run(store().loadAuthors([]))).toEqual([]);
      });
    });
  });
}
