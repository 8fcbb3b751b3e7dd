import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GeneralAccess } from '@collab/protocol';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import {
  AccessAlreadyExists,
  type AccessRecord,
  type AccessRecordStore,
  type BrowserSessionRecord,
} from '../AccessRecords.js';
import { StorageFailure } from '../DocumentStore.js';
import { call, conditionalCall } from './errors.js';

/**
 * Access records and browser sessions live in the documents table as items of their own, so the seed's
 * document items keep their shape: `id = "#access#<docId>"` and `id = "#session#<secretHash>"`. Document
 * ids and chunk keys never start with `#`, so they cannot collide.
 */
const accessKey = (docId: string) => ({ id: `#access#${docId}` });
const sessionKey = (secretHash: string) => ({ id: `#session#${secretHash}` });

const stringOrNull = (value: unknown): string | null => (Predicate.isString(value) ? value : null);

function accessOf(docId: string, item: Record<string, unknown>): Effect.Effect<AccessRecord, StorageFailure> {
  const general = GeneralAccess.safeParse(item.generalAccess);
  if (!general.success) {
    return Effect.fail(
      new StorageFailure({
        operation: 'loadAccess',
        retryable: false,
        cause: new Error('unreadable access item'),
      }),
    );
  }
  return Effect.succeed({
    docId,
    ownerId: stringOrNull(item.ownerId),
    generalAccess: general.data,
    viewerKey: stringOrNull(item.viewerKey),
    editorKey: stringOrNull(item.editorKey),
    updatedAt: Predicate.isNumber(item.updatedAt) ? item.updatedAt : 0,
  });
}

const accessItem = (record: AccessRecord) => ({
  ...accessKey(record.docId),
  ownerId: record.ownerId ?? undefined,
  generalAccess: record.generalAccess,
  viewerKey: record.viewerKey ?? undefined,
  editorKey: record.editorKey ?? undefined,
  updatedAt: record.updatedAt,
});

/** Access records and browser sessions on DynamoDB [A1] [A2]; reads are strongly consistent. */
export function dynamoAccessRecords(client: DynamoDBDocumentClient, table: string): AccessRecordStore {
  return {
    loadAccess: (docId) =>
      call('loadAccess', (abortSignal) =>
        client.send(new GetCommand({ TableName: table, Key: accessKey(docId), ConsistentRead: true }), {
          abortSignal,
        }),
      ).pipe(Effect.flatMap(({ Item }) => (Item ? accessOf(docId, Item) : Effect.succeed(undefined)))),
    createAccess: (record) =>
      conditionalCall('createAccess', (abortSignal) =>
        client.send(
          new PutCommand({
            TableName: table,
            Item: accessItem(record),
            ConditionExpression: 'attribute_not_exists(id)',
          }),
          { abortSignal },
        ),
      ).pipe(
        Effect.asVoid,
        Effect.catchTag('ConditionFailed', () =>
          Effect.fail(new AccessAlreadyExists({ docId: record.docId })),
        ),
      ),
    saveAccess: (record) =>
      call('saveAccess', (abortSignal) =>
        client.send(new PutCommand({ TableName: table, Item: accessItem(record) }), { abortSignal }),
      ).pipe(Effect.asVoid),
    loadBrowserSession: (secretHash) =>
      call('loadBrowserSession', (abortSignal) =>
        client.send(new GetCommand({ TableName: table, Key: sessionKey(secretHash), ConsistentRead: true }), {
          abortSignal,
        }),
      ).pipe(
        Effect.map(({ Item }): BrowserSessionRecord | undefined =>
          Item && Predicate.isString(Item.authorId)
            ? {
                secretHash,
                authorId: Item.authorId,
                name: stringOrNull(Item.name),
                color: stringOrNull(Item.color),
                createdAt: Predicate.isNumber(Item.createdAt) ? Item.createdAt : 0,
              }
            : undefined,
        ),
      ),
    saveBrowserSession: (record) =>
      call('saveBrowserSession', (abortSignal) =>
        client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...sessionKey(record.secretHash),
              authorId: record.authorId,
              name: record.name ?? undefined,
              color: record.color ?? undefined,
              createdAt: record.createdAt,
            },
          }),
          { abortSignal },
        ),
      ).pipe(Effect.asVoid),
  };
}
