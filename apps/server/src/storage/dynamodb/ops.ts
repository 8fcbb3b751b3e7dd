import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import {
  type CommittedOpId,
  OpIdTaken,
  type OpSummary,
  StorageFailure,
  type StoredOp,
  VersionTaken,
} from '../DocumentStore.js';
import { call, transactionCall } from './errors.js';
import {
  checkDocId,
  type DynamoTables,
  type Item,
  isOwnWrite,
  opFields,
  parseDelta,
  readPayload,
  writePayloadItem,
} from './payloadItems.js';

/**
 * The key of the item naming a committed op by `(clientId, seq)` [C3], in the ops table beside the ops: a
 * partition per document and client (`#` never occurs in a document id), sorted by seq.
 */
function opIdKey(docId: string, clientId: string, seq: number) {
  return { docId: `${docId}#id#${clientId}`, version: seq };
}

/**
 * The op log in the ops table: one item per op (`docId`, `version`, `delta` …), whose oversized delta
 * lives in chunk items `docId = "<docId>#op#<version>#<writeId>"`, `version = <n>` of the same table.
 */
export function dynamoOps(shared: DynamoTables) {
  const { client, tables, opChunks } = shared;
  const appendOp = Effect.fnUntraced(function* (op: StoredOp) {
    yield* checkDocId(op.docId);
    const item = { operation: 'appendOp', kind: 'op', ...op } as const;
    // One transaction writes the op item, the conditional write that orders commits across processes
    // [S1], and its id item, which exists once per (docId, clientId, seq) [C3].
    yield* writePayloadItem(shared, item, (write) =>
      transactionCall('appendOp', (signal) =>
        client.send(
          new TransactWriteCommand({
            ClientRequestToken: write.writeId,
            TransactItems: [
              {
                Put: {
                  TableName: tables.ops,
                  Item: {
                    docId: op.docId,
                    version: op.version,
                    clientId: op.clientId,
                    seq: op.seq,
                    hash: op.hash,
                    createdAt: op.createdAt,
                    writeId: write.writeId,
                    ...write.set,
                  },
                  ConditionExpression: 'attribute_not_exists(docId)',
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                Put: {
                  TableName: tables.ops,
                  Item: { ...opIdKey(op.docId, op.clientId, op.seq), opVersion: op.version, hash: op.hash },
                  ConditionExpression: 'attribute_not_exists(docId)',
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.catchTag('TransactionCancelled', ({ reasons }) => {
          const [opItem, idItem] = reasons;
          // Our own transaction, retried by the SDK after a lost answer, finds the items it wrote.
          if (isOwnWrite(opItem?.item, write.writeId)) return Effect.void;
          const taken: Effect.Effect<never, VersionTaken | OpIdTaken | StorageFailure> =
            idItem?.code === 'ConditionalCheckFailed'
              ? Effect.fail(
                  new OpIdTaken({
                    docId: op.docId,
                    version: Number(idItem.item?.opVersion?.N),
                    hash: idItem.item?.hash?.S,
                  }),
                )
              : // A failed condition on the version, or another writer's transaction on it: a lost race.
                opItem?.code === 'ConditionalCheckFailed' ||
                  reasons.some((reason) => reason.code === 'TransactionConflict')
                ? Effect.fail(new VersionTaken({ docId: op.docId, version: op.version }))
                : Effect.fail(
                    new StorageFailure({
                      operation: 'appendOp',
                      retryable: false,
                      cause: new Error(`transaction cancelled: ${reasons.map((r) => r.code).join(', ')}`),
                    }),
                  );
          return write.dropChunks.pipe(Effect.andThen(taken));
        }),
      ),
    );
  });

  const findOp = Effect.fnUntraced(function* (docId: string, clientId: string, seq: number) {
    yield* checkDocId(docId);
    const output = yield* call('findOp', (signal) =>
      client.send(
        new GetCommand({ TableName: tables.ops, Key: opIdKey(docId, clientId, seq), ConsistentRead: true }),
        { abortSignal: signal },
      ),
    );
    const item = output.Item;
    if (item === undefined) return undefined;
    const found: CommittedOpId = {
      version: Number(item.opVersion),
      hash: Predicate.isString(item.hash) ? item.hash : undefined,
    };
    return found;
  });

  const decodeOp = Effect.fnUntraced(function* (docId: string, item: Item) {
    const payload = yield* readPayload(client, 'readOps', opFields, opChunks, item);
    if (payload.kind !== 'json') {
      // Op items and their chunks are never rewritten, so this is damage, not a race.
      return yield* new StorageFailure({
        operation: 'readOps',
        retryable: false,
        cause: new Error(`op ${docId}@${String(item.version)} has no readable delta (${payload.kind})`),
      });
    }
    const stored: StoredOp = {
      docId,
      version: Number(item.version),
      ops: yield* parseDelta('readOps', payload.json),
      clientId: String(item.clientId),
      seq: Number(item.seq),
      hash: Predicate.isString(item.hash) ? item.hash : undefined,
      createdAt: Number(item.createdAt),
    };
    return stored;
  });

  const readOps = Effect.fnUntraced(function* (
    docId: string,
    afterVersion: number,
    toVersion?: number,
    limit?: number,
  ) {
    yield* checkDocId(docId);
    const result: StoredOp[] = [];
    const low = afterVersion + 1;
    const high = toVersion ?? Number.MAX_SAFE_INTEGER;
    // BETWEEN with a low bound above the high bound is a validation error in DynamoDB.
    if ((limit !== undefined && limit <= 0) || high < low) return result;
    let startKey: Item | undefined;
    do {
      const page = yield* call('readOps', (signal) =>
        client.send(
          new QueryCommand({
            TableName: tables.ops,
            KeyConditionExpression: '#docId = :docId AND #version BETWEEN :low AND :high',
            ExpressionAttributeNames: { '#docId': 'docId', '#version': 'version' },
            ExpressionAttributeValues: { ':docId': docId, ':low': low, ':high': high },
            ConsistentRead: true,
            Limit: limit === undefined ? undefined : limit - result.length,
            ExclusiveStartKey: startKey,
          }),
          { abortSignal: signal },
        ),
      );
      const ops = yield* Effect.forEach(page.Items ?? [], (item) => decodeOp(docId, item), {
        concurrency: 4,
      });
      result.push(...ops);
      // A query page stops at 1 MB: follow LastEvaluatedKey until the range or the limit is exhausted.
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && (limit === undefined || result.length < limit));
    return result;
  });

  const readOpSummaries = Effect.fnUntraced(function* (
    docId: string,
    afterVersion: number,
    toVersion: number,
    limit: number,
  ) {
    yield* checkDocId(docId);
    const result: OpSummary[] = [];
    if (limit <= 0 || toVersion < afterVersion + 1) return result;
    let startKey: Item | undefined;
    do {
      // Only the three small attributes: the deltas, however large, are never read.
      const page = yield* call('readOpSummaries', (signal) =>
        client.send(
          new QueryCommand({
            TableName: tables.ops,
            KeyConditionExpression: '#docId = :docId AND #version BETWEEN :low AND :high',
            ProjectionExpression: '#version, #clientId, #createdAt',
            ExpressionAttributeNames: {
              '#docId': 'docId',
              '#version': 'version',
              '#clientId': 'clientId',
              '#createdAt': 'createdAt',
            },
            ExpressionAttributeValues: { ':docId': docId, ':low': afterVersion + 1, ':high': toVersion },
            ConsistentRead: true,
            Limit: limit - result.length,
            ExclusiveStartKey: startKey,
          }),
          { abortSignal: signal },
        ),
      );
      for (const item of page.Items ?? []) {
        result.push({
          version: Number(item.version),
          clientId: String(item.clientId),
          createdAt: Number(item.createdAt),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && result.length < limit);
    return result;
  });

  return {
    appendOp,
    findOp,
    readOps: (docId: string, afterVersion: number, toVersion?: number, limit?: number) =>
      readOps(docId, afterVersion, toVersion, limit).pipe(Effect.map((ops): readonly StoredOp[] => ops)),
    readOpSummaries: (docId: string, afterVersion: number, toVersion: number, limit: number) =>
      readOpSummaries(docId, afterVersion, toVersion, limit).pipe(
        Effect.map((summaries): readonly OpSummary[] => summaries),
      ),
  };
}
