import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import type { StorageFailure } from '../DocumentStore.js';
import type { DocumentEntry, EntryChange, HomeRecordStore } from '../HomeRecords.js';
import { type ChunkPlacement, deleteChunks } from './chunks.js';
import { call, conditionalCall } from './errors.js';
import { homeIndex, type TableNames } from './tables.js';

/**
 * The documents home on DynamoDB [H3], in the documents table next to the access records:
 * - `#entry#<docId>`: the document's entry (title, first line, last edit, trash), `homePrincipal` = owner;
 * - `#visit#<docId>#<principal>`: one item per (principal, document), `homePrincipal` = the visitor.
 * A home list is one query of the sparse index `HomeByPrincipal` (pages of 1 MB), which holds the owned
 * entries whole, then batched reads (100 per request) of the entries of documents only visited. The
 * index is eventually consistent: a change shows in lists moments after it is made.
 */
const entryKey = (docId: string) => ({ id: `#entry#${docId}` });
const visitKey = (docId: string, principalId: string) => ({ id: `#visit#${docId}#${principalId}` });

const batchSize = 100;
const batchConcurrency = 8;
const deleteBatchSize = 25;

type Item = Record<string, unknown>;

const stringOrNull = (value: unknown): string | null => (Predicate.isString(value) ? value : null);
const numberOrNull = (value: unknown): number | null => (Predicate.isNumber(value) ? value : null);

function entryOf(item: Item): DocumentEntry | undefined {
  if (!Predicate.isString(item.docId)) return undefined;
  return {
    docId: item.docId,
    ownerId: stringOrNull(item.ownerId),
    title: stringOrNull(item.title),
    firstLine: Predicate.isString(item.firstLine) ? item.firstLine : '',
    createdAt: numberOrNull(item.createdAt) ?? 0,
    lastEditAt: numberOrNull(item.lastEditAt) ?? 0,
    lastEditorName: stringOrNull(item.lastEditorName),
    trashedAt: numberOrNull(item.trashedAt),
    deletedAt: numberOrNull(item.deletedAt),
  };
}

/** `SET` for the given fields, `REMOVE` for those set to null. */
function updateExpression(change: EntryChange) {
  const set: string[] = [];
  const remove: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(change)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    if (value === null) remove.push(`#${field}`);
    else {
      set.push(`#${field} = :${field}`);
      values[`:${field}`] = value;
    }
  }
  const expression = [
    set.length ? `SET ${set.join(', ')}` : '',
    remove.length ? `REMOVE ${remove.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { expression, names, values };
}

export function dynamoHomeRecords(client: DynamoDBDocumentClient, tables: TableNames): HomeRecordStore {
  const table = tables.documents;

  const loadEntries = (docIds: readonly string[]) =>
    Effect.forEach(
      Array.from({ length: Math.ceil(docIds.length / batchSize) }, (_, index) =>
        docIds.slice(index * batchSize, (index + 1) * batchSize),
      ),
      (batch) => batchGet(batch.map(entryKey)),
      { concurrency: batchConcurrency },
    ).pipe(Effect.map((pages) => pages.flat().flatMap((item) => entryOf(item) ?? [])));

  /** One BatchGet, repeated for the keys DynamoDB left unprocessed (it may, under load). */
  const batchGet = (keys: readonly Item[]): Effect.Effect<Item[], StorageFailure> =>
    Effect.gen(function* () {
      const items: Item[] = [];
      let pending: Item[] = [...keys];
      while (pending.length > 0) {
        const answer = yield* call('listEntries', (signal) =>
          client.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
            { abortSignal: signal },
          ),
        );
        items.push(...((answer.Responses?.[table] ?? []) as Item[]));
        pending = (answer.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
      }
      return items;
    });

  const deleteItems = (tableName: string, keys: readonly Item[]) =>
    Effect.forEach(
      Array.from({ length: Math.ceil(keys.length / deleteBatchSize) }, (_, index) =>
        keys.slice(index * deleteBatchSize, (index + 1) * deleteBatchSize),
      ),
      (batch) =>
        Effect.gen(function* () {
          let pending: unknown[] = batch.map((Key) => ({ DeleteRequest: { Key } }));
          while (pending.length > 0) {
            const answer = yield* call('deleteContents', (signal) =>
              client.send(
                new BatchWriteCommand({
                  RequestItems: { [tableName]: pending as { DeleteRequest: { Key: Item } }[] },
                }),
                { abortSignal: signal },
              ),
            );
            pending = answer.UnprocessedItems?.[tableName] ?? [];
          }
        }),
      { concurrency: 4, discard: true },
    );

  const snapshotChunks: ChunkPlacement = {
    table: tables.documents,
    key: (chunkKey, index) => ({ id: `${chunkKey}#${index}` }),
  };
  const opChunks: ChunkPlacement = {
    table: tables.ops,
    key: (chunkKey, index) => ({ docId: chunkKey, version: index }),
  };

  return {
    loadEntry: (docId) =>
      call('loadEntry', (signal) =>
        client.send(new GetCommand({ TableName: table, Key: entryKey(docId), ConsistentRead: true }), {
          abortSignal: signal,
        }),
      ).pipe(Effect.map(({ Item }) => (Item ? entryOf(Item) : undefined))),
    createEntry: (entry) =>
      conditionalCall('createEntry', (signal) =>
        client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...entryKey(entry.docId),
              ...entry,
              ...(entry.ownerId === null ? {} : { [homeIndex.partitionKey]: entry.ownerId }),
            },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.asVoid,
        Effect.catchTag('ConditionFailed', () => Effect.void),
      ),
    updateEntry: (docId, change) => {
      const { expression, names, values } = updateExpression(change);
      if (expression === '') return Effect.void;
      return conditionalCall('updateEntry', (signal) =>
        client.send(
          new UpdateCommand({
            TableName: table,
            Key: entryKey(docId),
            UpdateExpression: expression,
            ConditionExpression: 'attribute_exists(id)',
            ExpressionAttributeNames: names,
            ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.asVoid,
        Effect.catchTag('ConditionFailed', () => Effect.void),
      );
    },
    recordVisit: (principalId, docId, at) =>
      call('recordVisit', (signal) =>
        client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...visitKey(docId, principalId),
              [homeIndex.partitionKey]: principalId,
              docId,
              openedAt: at,
            },
          }),
          { abortSignal: signal },
        ),
      ).pipe(Effect.asVoid),
    listEntries: (principalId) =>
      Effect.gen(function* () {
        const owned: DocumentEntry[] = [];
        const visited: string[] = [];
        let startKey: Item | undefined;
        do {
          const page = yield* call('listEntries', (signal) =>
            client.send(
              new QueryCommand({
                TableName: table,
                IndexName: homeIndex.name,
                KeyConditionExpression: '#principal = :principal',
                ExpressionAttributeNames: { '#principal': homeIndex.partitionKey },
                ExpressionAttributeValues: { ':principal': principalId },
                ExclusiveStartKey: startKey,
              }),
              { abortSignal: signal },
            ),
          );
          for (const item of page.Items ?? []) {
            const entry = String(item.id).startsWith('#entry#') ? entryOf(item) : undefined;
            if (entry) owned.push(entry);
            else if (Predicate.isString(item.docId)) visited.push(item.docId);
          }
          startKey = page.LastEvaluatedKey;
        } while (startKey !== undefined);
        const ownedIds = new Set(owned.map((entry) => entry.docId));
        return [...owned, ...(yield* loadEntries(visited.filter((docId) => !ownedIds.has(docId))))];
      }),
    deleteContents: (docId) =>
      Effect.gen(function* () {
        const snapshot = yield* call('deleteContents', (signal) =>
          client.send(new GetCommand({ TableName: table, Key: { id: docId }, ConsistentRead: true }), {
            abortSignal: signal,
          }),
        );
        const ops: Item[] = [];
        let startKey: Item | undefined;
        do {
          const page = yield* call('deleteContents', (signal) =>
            client.send(
              new QueryCommand({
                TableName: tables.ops,
                KeyConditionExpression: '#docId = :docId',
                ExpressionAttributeNames: { '#docId': 'docId' },
                ExpressionAttributeValues: { ':docId': docId },
                ProjectionExpression: 'docId, version, deltaChunkKey, deltaChunks',
                ConsistentRead: true,
                ExclusiveStartKey: startKey,
              }),
              { abortSignal: signal },
            ),
          );
          ops.push(...((page.Items ?? []) as Item[]));
          startKey = page.LastEvaluatedKey;
        } while (startKey !== undefined);
        yield* deleteItems(
          tables.ops,
          ops.map((op) => ({ docId: op.docId, version: op.version })),
        );
        yield* Effect.forEach(
          ops,
          (op) =>
            Predicate.isString(op.deltaChunkKey) && Predicate.isNumber(op.deltaChunks)
              ? deleteChunks(client, opChunks, op.deltaChunkKey, op.deltaChunks)
              : Effect.void,
          { discard: true },
        );
        yield* deleteItems(table, [{ id: docId }]);
        const item = snapshot.Item;
        if (item && Predicate.isString(item.DataChunkKey) && Predicate.isNumber(item.DataChunks)) {
          yield* deleteChunks(client, snapshotChunks, item.DataChunkKey, item.DataChunks);
        }
      }),
  };
}
