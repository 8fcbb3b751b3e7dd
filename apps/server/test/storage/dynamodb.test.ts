import { createHash, randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Op } from '@collab/protocol';
import { Effect, Exit, Layer, Option } from 'effect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as DynamoStore from '../../src/storage/dynamodb/DynamoStore.js';
import { isRetryableDynamoError } from '../../src/storage/dynamodb/errors.js';
import { MAX_ITEM_BYTES, MAX_PAYLOAD_BYTES } from '../../src/storage/dynamodb/payloadCodec.js';
import {
  type DynamoDbLocal,
  dynamoDbLocalClientConfig,
  freePort,
  startDynamoDbLocal,
} from '../support/index.js';
import { describeDocumentStoreContract } from './contract.js';
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
import { type LostResponseProxy, startLostResponseProxy } from './lostResponseProxy.js';

let ddb: DynamoDbLocal;
let raw: DynamoDBDocumentClient;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  raw = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...dynamoDbLocalClientConfig, endpoint: ddb.endpoint }),
  );
}, 120_000);

afterAll(async () => {
  raw?.destroy();
  await ddb?.stop();
});

function storeOptions(overrides: DynamoStore.DynamoStoreOptions = {}): DynamoStore.DynamoStoreOptions {
  return { ...dynamoDbLocalClientConfig, endpoint: ddb.endpoint, createTables: true, ...overrides };
}

describeDocumentStoreContract('DynamoDB Local', () => DynamoStore.layer(storeOptions()), {
  largeTestTimeoutMs: 120_000,
});

/** Every item of `table` whose `keyName` starts with `prefix` (a full scan: test tables are small). */
async function scanPrefix(
  table: string,
  keyName: string,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await raw.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(#key, :prefix)',
        ExpressionAttributeNames: { '#key': keyName },
        ExpressionAttributeValues: { ':prefix': prefix },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** A delta whose JSON (`{"ops":[{"insert":"…\n"}]}`) is exactly `bytes` bytes long. */
function deltaOfJsonBytes(bytes: number, seed: number): Op[] {
  const overhead = JSON.stringify({ ops: [{ insert: '\n' }] }).length;
  const ops: Op[] = [{ insert: `${randomWords(bytes - overhead, seed)}\n` }];
  expect(Buffer.byteLength(JSON.stringify({ ops }))).toBe(bytes);
  return ops;
}

const documentsTable = 'SpecDocuments';
const opsTable = 'SpecDocumentOps';

describe('DynamoStore', () => {
  let first: OpenStore;
  let second: OpenStore;
  const specOptions = () => storeOptions({ documentsTable, opsTable });

  beforeAll(async () => {
    first = await openStore(DynamoStore.layer(specOptions()));
    second = await openStore(DynamoStore.layer(specOptions()));
  }, 60_000);

  afterAll(async () => {
    await second?.dispose();
    await first?.dispose();
  });

  describe('tables', () => {
    it('creates missing tables on demand with on-demand billing and the expected keys', async () => {
      const description = await raw.send(new DescribeTableCommand({ TableName: opsTable }));
      expect(description.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(description.Table?.KeySchema).toEqual([
        { AttributeName: 'docId', KeyType: 'HASH' },
        { AttributeName: 'version', KeyType: 'RANGE' },
      ]);
      expect(description.Table?.AttributeDefinitions).toContainEqual({
        AttributeName: 'version',
        AttributeType: 'N',
      });
    });

    it('a missing table stops the start with a message naming it', async () => {
      const buildError = async (tables: { documentsTable: string; opsTable: string }) => {
        const exit = await Effect.runPromiseExit(
          Layer.build(DynamoStore.layer(storeOptions({ ...tables, createTables: false }))).pipe(
            Effect.scoped,
          ),
        );
        return Option.getOrUndefined(Exit.findErrorOption(exit));
      };
      expect(await buildError({ documentsTable: 'NoSuchDocuments', opsTable: 'NoSuchOps' })).toMatchObject({
        _tag: 'DynamoTableError',
        table: 'NoSuchDocuments',
        message:
          'DynamoDB table "NoSuchDocuments" does not exist (set DYNAMODB_CREATE_TABLES=true to create it)',
      });
      expect(await buildError({ documentsTable, opsTable: 'NoSuchOps' })).toMatchObject({
        _tag: 'DynamoTableError',
        message: 'DynamoDB table "NoSuchOps" does not exist (set DYNAMODB_CREATE_TABLES=true to create it)',
      });
    });

    it('a table with another key stops the start with a message naming it', async () => {
      await raw.send(
        new CreateTableCommand({
          TableName: 'WrongKeyOps',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'docId', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'docId', KeyType: 'HASH' }],
        }),
      );
      const exit = await Effect.runPromiseExit(
        Layer.build(DynamoStore.layer(storeOptions({ documentsTable, opsTable: 'WrongKeyOps' }))).pipe(
          Effect.scoped,
        ),
      );
      expect(Option.getOrUndefined(Exit.findErrorOption(exit))).toMatchObject({
        _tag: 'DynamoTableError',
        table: 'WrongKeyOps',
        message: 'DynamoDB table "WrongKeyOps" has key docId S HASH; expected docId S HASH, version N RANGE',
      });
    });
  });

  describe('the documents home index [H3]', () => {
    it('[H3] a documents table made before the home is refused without its index, and gets it when creating is allowed', async () => {
      await raw.send(
        new CreateTableCommand({
          TableName: 'DocumentsBeforeHome',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      const build = (createTables: boolean) =>
        Effect.runPromiseExit(
          Layer.build(
            DynamoStore.layer(
              storeOptions({ documentsTable: 'DocumentsBeforeHome', opsTable, createTables }),
            ),
          ).pipe(Effect.scoped),
        );
      expect(Option.getOrUndefined(Exit.findErrorOption(await build(false)))).toMatchObject({
        _tag: 'DynamoTableError',
        message:
          'DynamoDB table "DocumentsBeforeHome" has no index HomeByPrincipal (set DYNAMODB_CREATE_TABLES=true to add it)',
      });
      expect(Exit.isSuccess(await build(true))).toBe(true);
      const description = await raw.send(new DescribeTableCommand({ TableName: 'DocumentsBeforeHome' }));
      expect(description.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
        'HomeByPrincipal',
      ]);
    });
  });

  describe('compatibility with the seed', () => {
    it('a snapshot that fits is stored as the seed stored it: Data is the delta as a JSON string', async () => {
      const docId = newDocId('seed-format');
      const ops: Op[] = [
        { insert: 'Hello ' },
        { insert: 'seed', attributes: { bold: true } },
        { insert: '\n' },
      ];
      await run(first.store.createDocument({ docId, version: 0, ops, updatedAt: 10 }));
      await run(first.store.saveSnapshot({ docId, version: 3, ops, updatedAt: 20 }));
      const item = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      expect(item).toMatchObject({ id: docId, version: 3, updatedAt: 20, createdAt: 10 });
      expect(typeof item?.Data).toBe('string');
      expect(JSON.parse(String(item?.Data))).toEqual({ ops });
      expect(item?.DataEncoding).toBeUndefined();
    });

    it('an item written by the seed (id and Data only) loads as version 0 and can be saved over', async () => {
      const docId = newDocId('seed-item');
      const ops: Op[] = [{ insert: 'written by the old server\n' }];
      await raw.send(
        new PutCommand({ TableName: documentsTable, Item: { id: docId, Data: JSON.stringify({ ops }) } }),
      );
      expect(await run(first.store.loadSnapshot(docId))).toEqual({ docId, version: 0, ops, updatedAt: 0 });
      expect(
        (await runFailure(first.store.createDocument({ docId, version: 0, ops, updatedAt: 1 })))._tag,
      ).toBe('DocumentAlreadyExists');
      await run(first.store.saveSnapshot({ docId, version: 2, ops: [{ insert: 'v2\n' }], updatedAt: 5 }));
      expect(await run(first.store.loadSnapshot(docId))).toEqual({
        docId,
        version: 2,
        ops: [{ insert: 'v2\n' }],
        updatedAt: 5,
      });

      const emptyId = newDocId('seed-empty');
      await raw.send(new PutCommand({ TableName: documentsTable, Item: { id: emptyId, Data: '' } }));
      expect((await run(first.store.loadSnapshot(emptyId)))?.ops).toEqual([{ insert: '\n' }]);
    });
  });

  describe('[S6] the 400 KB item limit', () => {
    it('DynamoDB Local enforces the limit, so the tests below exercise it', async () => {
      const tooBig = { id: newDocId('limit'), blob: new Uint8Array(MAX_ITEM_BYTES) };
      await expect(raw.send(new PutCommand({ TableName: documentsTable, Item: tooBig }))).rejects.toThrow(
        /size has exceeded/i,
      );
    });

    it('[S6] the largest inline snapshot, with the longest id, is stored as a plain Data string', async () => {
      const docId = `max-${'x'.repeat(124)}`;
      expect(docId).toHaveLength(128);
      const ops = deltaOfJsonBytes(MAX_PAYLOAD_BYTES, 31);
      await run(first.store.createDocument({ docId, version: 0, ops, updatedAt: 1 }));
      const item = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      expect(item?.DataEncoding).toBeUndefined();
      expect(fingerprint((await run(second.store.loadSnapshot(docId)))?.ops)).toBe(fingerprint(ops));
    });

    it('[S6] one byte more is compressed into one item', async () => {
      const docId = newDocId('over-inline');
      const ops = deltaOfJsonBytes(MAX_PAYLOAD_BYTES + 1, 32);
      await run(first.store.createDocument({ docId, version: 0, ops, updatedAt: 1 }));
      const item = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      expect(item).toMatchObject({ DataEncoding: 'gzip' });
      expect(item?.Data).toBeUndefined();
      expect(fingerprint((await run(second.store.loadSnapshot(docId)))?.ops)).toBe(fingerprint(ops));
    });

    it('[S6] snapshots just under and just over 400 KB round-trip', async () => {
      for (const [index, bytes] of [399 * 1024, 400 * 1024 - 1, 400 * 1024, 401 * 1024].entries()) {
        const docId = newDocId(`near-limit-${index}`);
        const ops = deltaOfJsonBytes(bytes, 40 + index);
        await run(first.store.createDocument({ docId, version: 0, ops: [{ insert: '\n' }], updatedAt: 1 }));
        await run(first.store.saveSnapshot({ docId, version: 1, ops, updatedAt: 2 }));
        expect(fingerprint((await run(second.store.loadSnapshot(docId)))?.ops)).toBe(fingerprint(ops));
      }
    });

    it('[S6] sizes are counted in UTF-8 bytes, not characters', async () => {
      const docId = newDocId('multibyte');
      // 210 000 UTF-16 code units but 420 000 bytes: fits one item by length, not by bytes.
      const ops: Op[] = [{ insert: `${'é😀'.repeat(60_000)}${'ü'.repeat(30_000)}\n` }];
      expect(JSON.stringify({ ops }).length).toBeLessThan(MAX_PAYLOAD_BYTES);
      expect(Buffer.byteLength(JSON.stringify({ ops }))).toBeGreaterThan(MAX_PAYLOAD_BYTES);
      await run(first.store.createDocument({ docId, version: 0, ops, updatedAt: 1 }));
      const item = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      expect(item?.DataEncoding).toBe('gzip');
      expect(await run(second.store.loadSnapshot(docId))).toEqual({ docId, version: 0, ops, updatedAt: 1 });
    });

    it('[S6] a snapshot whose gzip is too big for one item is split into chunks', async () => {
      const docId = newDocId('incompressible');
      // Base64 of random bytes: gzip only removes a quarter, so 1.2 MB stays above one item.
      const ops: Op[] = [{ insert: `${randomBytes(900 * 1024).toString('base64')}\n` }];
      await run(first.store.createDocument({ docId, version: 0, ops, updatedAt: 1 }));
      const item = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      expect(item).toMatchObject({ DataEncoding: 'gzip-chunks' });
      expect(item?.DataChunks).toBeGreaterThanOrEqual(2);
      expect(fingerprint((await run(second.store.loadSnapshot(docId)))?.ops)).toBe(fingerprint(ops));
    });
  });

  describe('[H4] images', () => {
    it('[H4] an image over one item is stored in chunks under 400 KB; a second save and deleteImages leave no chunk behind', async () => {
      const docId = newDocId('image-chunks');
      const bytes = new Uint8Array(randomBytes(1_000_000));
      const imageId = createHash('sha256').update(bytes).digest('hex');
      const image = { docId, imageId, contentType: 'image/png', bytes, createdAt: 1 };
      const chunkItems = () => scanPrefix(documentsTable, 'id', `#imagechunk#${docId}#`);
      await run(first.store.saveImage(image));
      const head = (
        await raw.send(
          new GetCommand({ TableName: documentsTable, Key: { id: `#image#${docId}#${imageId}` } }),
        )
      ).Item;
      expect(head).toMatchObject({ chunks: 3, size: 1_000_000 });
      const chunks = await chunkItems();
      expect(chunks).toHaveLength(3);
      for (const chunk of chunks)
        expect((chunk.chunk as Uint8Array).byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      // Stored already: the second writer's chunks are removed.
      await run(second.store.saveImage(image));
      expect(await chunkItems()).toHaveLength(3);
      await run(second.store.deleteImages(docId));
      expect(await chunkItems()).toEqual([]);
      expect(await scanPrefix(documentsTable, 'id', `#image#${docId}#`)).toEqual([]);
    });
  });

  describe('[S6] chunked snapshots', () => {
    it('[S6] replacing a chunked snapshot deletes the old chunks; a small one leaves none', async () => {
      const docId = newDocId('chunk-lifecycle');
      const chunkItems = () => scanPrefix(documentsTable, 'id', `${docId}#`);
      const big1 = largeDocument(5 * 1024 * 1024, 51);
      await run(first.store.createDocument({ docId, version: 0, ops: big1, updatedAt: 1 }));
      const head1 = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      expect(head1).toMatchObject({ DataEncoding: 'gzip-chunks' });
      expect((await chunkItems()).length).toBe(head1?.DataChunks);

      const big2 = largeDocument(5 * 1024 * 1024, 52);
      await run(first.store.saveSnapshot({ docId, version: 10, ops: big2, updatedAt: 2 }));
      const head2 = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      const chunks2 = await chunkItems();
      expect(chunks2.length).toBe(head2?.DataChunks);
      expect(chunks2.every((chunk) => String(chunk.id).startsWith(String(head2?.DataChunkKey)))).toBe(true);
      expect(fingerprint((await run(second.store.loadSnapshot(docId)))?.ops)).toBe(fingerprint(big2));

      // An older snapshot loses and removes the chunks it wrote.
      await run(
        second.store.saveSnapshot({
          docId,
          version: 5,
          ops: largeDocument(5 * 1024 * 1024, 53),
          updatedAt: 3,
        }),
      );
      expect((await chunkItems()).map((chunk) => chunk.id).sort()).toEqual(
        chunks2.map((chunk) => chunk.id).sort(),
      );

      await run(first.store.saveSnapshot({ docId, version: 11, ops: [{ insert: 'small\n' }], updatedAt: 4 }));
      expect(await chunkItems()).toEqual([]);
      const head3 = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      expect(head3).toMatchObject({
        id: docId,
        version: 11,
        Data: JSON.stringify({ ops: [{ insert: 'small\n' }] }),
      });
      expect(
        Object.keys(head3 ?? {})
          .filter((name) => name.startsWith('Data'))
          .sort(),
      ).toEqual(['Data']);
    }, 120_000);

    it('[S6] two writers of the same version: one head, and only its chunks remain', async () => {
      const docId = newDocId('chunk-race');
      await run(first.store.createDocument({ docId, version: 0, ops: [{ insert: '\n' }], updatedAt: 1 }));
      const a = largeDocument(3 * 1024 * 1024, 61);
      const b = largeDocument(3 * 1024 * 1024, 62);
      await Promise.all([
        run(first.store.saveSnapshot({ docId, version: 7, ops: a, updatedAt: 2 })),
        run(second.store.saveSnapshot({ docId, version: 7, ops: b, updatedAt: 2 })),
      ]);
      const loaded = await run(first.store.loadSnapshot(docId));
      expect([fingerprint(a), fingerprint(b)]).toContain(fingerprint(loaded?.ops));
      const head = (await raw.send(new GetCommand({ TableName: documentsTable, Key: { id: docId } }))).Item;
      const chunks = await scanPrefix(documentsTable, 'id', `${docId}#`);
      expect(chunks.length).toBe(head?.DataChunks);
      expect(chunks.every((chunk) => String(chunk.id).startsWith(String(head?.DataChunkKey)))).toBe(true);
    }, 120_000);

    it('[S6] readers never see a half-written snapshot while a writer replaces it', async () => {
      const docId = newDocId('chunk-readers');
      const versions = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
      // Random words compress about 2:1, so each of these needs two or three chunks.
      const contents = new Map(
        versions.map((version) => [version, largeDocument(1024 * 1024, 70 + version)]),
      );
      const expected = new Map([...contents].map(([version, ops]) => [version, fingerprint(ops)]));
      await run(first.store.createDocument({ docId, version: 0, ops: [{ insert: '\n' }], updatedAt: 0 }));

      let writing = true;
      const writer = (async () => {
        try {
          for (const version of versions) {
            await run(
              first.store.saveSnapshot({
                docId,
                version,
                ops: contents.get(version) ?? [],
                updatedAt: version,
              }),
            );
          }
        } finally {
          writing = false;
        }
      })();
      const reader = async () => {
        const seen: number[] = [];
        while (writing) {
          const snapshot = await run(second.store.loadSnapshot(docId));
          expect(snapshot).toBeDefined();
          if (snapshot === undefined || snapshot.version === 0) continue;
          expect(fingerprint(snapshot.ops)).toBe(expected.get(snapshot.version));
          seen.push(snapshot.version);
        }
        return seen;
      };
      const seenByReaders = await Promise.all([reader(), reader(), reader()]);
      await writer;
      // Versions only move forward for each reader too.
      for (const seen of seenByReaders) expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect((await run(second.store.loadSnapshot(docId)))?.version).toBe(10);
    }, 120_000);

    it('[S6] a head whose chunks are gone is a retryable StorageFailure, never a partial document', async () => {
      const docId = newDocId('chunks-gone');
      await run(
        first.store.createDocument({ docId, version: 0, ops: largeDocument(1024 * 1024, 99), updatedAt: 0 }),
      );
      const chunks = await scanPrefix(documentsTable, 'id', `${docId}#`);
      expect(chunks.length).toBeGreaterThanOrEqual(2);
      const [lost] = chunks;
      await raw.send(new DeleteCommand({ TableName: documentsTable, Key: { id: lost?.id } }));
      const failure = await runFailure(second.store.loadSnapshot(docId));
      expect(failure).toMatchObject({ _tag: 'StorageFailure', operation: 'loadSnapshot', retryable: true });
    });
  });

  describe('op log', () => {
    it('[S6][S1] two writers racing with 1 MB ops for one version: one wins, the loser leaves no chunks', async () => {
      const docId = newDocId('big-op-race');
      const opOf = (clientId: string, seed: number) => ({
        ...sampleOp(docId, 1, clientId),
        ops: [{ insert: randomBytes(768 * 1024).toString('base64') + randomWords(1024, seed) }],
      });
      const ops = [opOf('first', 81), opOf('second', 82)];
      const exits = await Promise.all([
        Effect.runPromiseExit(first.store.appendOp(ops[0] ?? sampleOp(docId, 1))),
        Effect.runPromiseExit(second.store.appendOp(ops[1] ?? sampleOp(docId, 1))),
      ]);
      const winner = exits.findIndex(Exit.isSuccess);
      expect(exits.filter(Exit.isSuccess)).toHaveLength(1);
      const stored = await run(first.store.readOps(docId, 0));
      expect(stored.map(fingerprint)).toEqual([fingerprint(ops[winner])]);

      const item = (await raw.send(new GetCommand({ TableName: opsTable, Key: { docId, version: 1 } }))).Item;
      expect(item).toMatchObject({ deltaEncoding: 'gzip-chunks' });
      const chunks = await scanPrefix(opsTable, 'docId', `${docId}#op#`);
      expect(chunks.length).toBe(item?.deltaChunks);
      expect(chunks.every((chunk) => chunk.docId === item?.deltaChunkKey)).toBe(true);
      // [C3] the op and its id item are written together: the loser left no id item either.
      const ids = await scanPrefix(opsTable, 'docId', `${docId}#id#`);
      expect(ids.map((id) => id.docId)).toEqual([`${docId}#id#${winner === 0 ? 'first' : 'second'}`]);
    }, 60_000);

    it('[S6] ops are stored as JSON, gzip or chunks by size, and all read back intact', async () => {
      const docId = newDocId('op-layouts');
      const deltas = [
        [{ insert: 'small' }],
        [{ retain: 3 }, { insert: randomWords(600 * 1024, 91), attributes: { bold: true } }],
        [{ insert: randomBytes(600 * 1024).toString('base64') }],
      ];
      const ops = deltas.map((delta, index) => ({ ...sampleOp(docId, index + 1), ops: delta }));
      for (const op of ops) await run(first.store.appendOp(op));
      const encodings = await Promise.all(
        ops.map(async (op) => {
          const key = { docId, version: op.version };
          return (await raw.send(new GetCommand({ TableName: opsTable, Key: key }))).Item?.deltaEncoding;
        }),
      );
      expect(encodings).toEqual([undefined, 'gzip', 'gzip-chunks']);
      expect((await run(second.store.readOps(docId, 0))).map(fingerprint)).toEqual(ops.map(fingerprint));
    }, 60_000);

    it('[S6] readOps follows LastEvaluatedKey across 1 MB query pages', async () => {
      const docId = newDocId('paging');
      const ops = Array.from({ length: 40 }, (_, index) => ({
        ...sampleOp(docId, index + 1),
        ops: [{ insert: randomWords(100 * 1024, 100 + index) }],
      }));
      for (const op of ops) await run(first.store.appendOp(op));

      // Precondition: one query page cannot hold these 4 MB.
      const firstPage = await raw.send(
        new QueryCommand({
          TableName: opsTable,
          KeyConditionExpression: 'docId = :docId',
          ExpressionAttributeValues: { ':docId': docId },
        }),
      );
      expect(firstPage.LastEvaluatedKey).toBeDefined();
      expect(firstPage.Items?.length).toBeLessThan(40);

      const all = await run(second.store.readOps(docId, 0));
      expect(all.map((op) => op.version)).toEqual(ops.map((op) => op.version));
      expect(all.map(fingerprint)).toEqual(ops.map(fingerprint));
      expect((await run(second.store.readOps(docId, 0, undefined, 25))).map((op) => op.version)).toEqual(
        ops.slice(0, 25).map((op) => op.version),
      );
      expect((await run(second.store.readOps(docId, 5, 35))).map((op) => op.version)).toEqual(
        ops.slice(5, 35).map((op) => op.version),
      );
    }, 60_000);
  });

  describe('answers lost on the network', () => {
    let proxy: LostResponseProxy;
    let viaProxy: OpenStore;

    beforeAll(async () => {
      proxy = await startLostResponseProxy(ddb.endpoint);
      viaProxy = await openStore(
        DynamoStore.layer({ ...specOptions(), endpoint: proxy.endpoint, maxAttempts: 3 }),
      );
    });

    afterAll(async () => {
      await viaProxy?.dispose();
      await proxy?.close();
    });

    it('[S1] appendOp whose answer was lost succeeds on the SDK retry instead of reporting VersionTaken', async () => {
      const docId = newDocId('lost-append');
      const big = { ...sampleOp(docId, 2), ops: [{ insert: randomBytes(600 * 1024).toString('base64') }] };
      for (const op of [sampleOp(docId, 1), big]) {
        // The op item's put, not one of its chunks: only it carries the condition.
        proxy.loseNextResponse('attribute_not_exists(docId)');
        const dropped = proxy.dropped;
        await run(viaProxy.store.appendOp(op));
        expect(proxy.dropped).toBe(dropped + 1);
      }
      expect((await run(first.store.readOps(docId, 0))).map(fingerprint)).toEqual(
        [sampleOp(docId, 1), big].map(fingerprint),
      );
      // Another writer of the same version still loses.
      expect((await runFailure(viaProxy.store.appendOp(sampleOp(docId, 1, 'other'))))._tag).toBe(
        'VersionTaken',
      );
    });

    it('createDocument whose answer was lost succeeds on the SDK retry', async () => {
      const docId = newDocId('lost-create');
      proxy.loseNextResponse('attribute_not_exists(id)');
      await run(
        viaProxy.store.createDocument({ docId, version: 0, ops: [{ insert: 'mine\n' }], updatedAt: 1 }),
      );
      expect(proxy.dropped).toBeGreaterThan(0);
      expect((await run(first.store.loadSnapshot(docId)))?.ops).toEqual([{ insert: 'mine\n' }]);
    });

    it('[S6] a chunked saveSnapshot whose answer was lost keeps the chunks it points at', async () => {
      const docId = newDocId('lost-snapshot');
      await run(first.store.createDocument({ docId, version: 0, ops: [{ insert: '\n' }], updatedAt: 0 }));
      const ops = largeDocument(2 * 1024 * 1024, 123);
      proxy.loseNextResponse('DynamoDB_20120810.UpdateItem');
      const dropped = proxy.dropped;
      await run(viaProxy.store.saveSnapshot({ docId, version: 3, ops, updatedAt: 3 }));
      expect(proxy.dropped).toBe(dropped + 1);
      const loaded = await run(first.store.loadSnapshot(docId));
      expect(loaded?.version).toBe(3);
      expect(fingerprint(loaded?.ops)).toBe(fingerprint(ops));
    }, 60_000);
  });

  describe('failures', () => {
    it('a store pointed at a closed port fails to start with a retryable StorageFailure', async () => {
      const port = await freePort();
      const exit = await Effect.runPromiseExit(
        Layer.build(
          DynamoStore.layer(storeOptions({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2 })),
        ).pipe(Effect.scoped),
      );
      const failure = Option.getOrUndefined(Exit.findErrorOption(exit));
      expect(failure).toMatchObject({ _tag: 'StorageFailure', operation: 'describeTable', retryable: true });
    });

    it('calls fail with a retryable StorageFailure when DynamoDB goes away', async () => {
      const doomed = await startDynamoDbLocal();
      const { store, dispose } = await openStore(
        DynamoStore.layer(storeOptions({ endpoint: doomed.endpoint, maxAttempts: 2 })),
      );
      try {
        await run(store.appendOp(sampleOp('gone', 1)));
        await doomed.stop();
        for (const failure of [
          await runFailure(store.appendOp(sampleOp('gone', 2))),
          await runFailure(store.readOps('gone', 0)),
          await runFailure(store.loadSnapshot('gone')),
        ]) {
          expect(failure).toMatchObject({ _tag: 'StorageFailure', retryable: true });
        }
      } finally {
        await dispose();
        await doomed.stop();
      }
    }, 120_000);

    it('a document id containing "#", which chunk keys reserve, is a defect', async () => {
      for (const effect of [
        first.store.loadSnapshot('doc#snapshot#1#abc#0'),
        first.store.readOps('doc#op#1#abc', 0),
        first.store.appendOp(sampleOp('doc#1', 1)),
      ]) {
        const exit = await Effect.runPromiseExit(effect);
        expect(Exit.isFailure(exit)).toBe(true);
        expect(Option.isNone(Exit.findErrorOption(exit))).toBe(true);
      }
    });

    it('classifies throttling, server and network errors as retryable, the rest as not', () => {
      const metadata = { $metadata: {}, message: 'test' };
      expect(isRetryableDynamoError(new ProvisionedThroughputExceededException(metadata))).toBe(true);
      expect(isRetryableDynamoError(new ThrottlingException(metadata))).toBe(true);
      expect(isRetryableDynamoError(new RequestLimitExceeded(metadata))).toBe(true);
      expect(isRetryableDynamoError(new InternalServerError(metadata))).toBe(true);
      expect(
        isRetryableDynamoError(
          new DynamoDBServiceException({
            name: 'ServiceUnavailable',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          }),
        ),
      ).toBe(true);
      expect(isRetryableDynamoError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
        true,
      );

      expect(isRetryableDynamoError(new ResourceNotFoundException(metadata))).toBe(false);
      expect(isRetryableDynamoError(new ConditionalCheckFailedException(metadata))).toBe(false);
      expect(
        isRetryableDynamoError(
          new DynamoDBServiceException({
            name: 'ValidationException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          }),
        ),
      ).toBe(false);
      expect(isRetryableDynamoError(new TypeError('bad input'))).toBe(false);
      expect(isRetryableDynamoError(undefined)).toBe(false);
    });
  });
});
