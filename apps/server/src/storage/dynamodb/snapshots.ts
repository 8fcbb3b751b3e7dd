import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import { DocumentAlreadyExists, type Snapshot, StorageFailure } from '../DocumentStore.js';
import { encodeDelta } from '../deltaJson.js';
import { deleteChunks } from './chunks.js';
import { call, conditionalCall } from './errors.js';
import {
  checkDocId,
  chunkPointer,
  type DynamoTables,
  type Item,
  isOwnWrite,
  parseDelta,
  readPayload,
  snapshotFields,
  writePayloadItem,
} from './payloadItems.js';

/** A seed item without content (no `Data`, or an empty one) loads as an empty document [D1]. */
const emptyDocumentJson = encodeDelta([{ insert: '\n' }]);

/** Tries of a snapshot read whose chunks were deleted under it by a newer snapshot. */
const snapshotReadAttempts = 5;

/**
 * The head item of each document in the documents table (`id`, `version`, `updatedAt`, `createdAt`,
 * `writeId` and the snapshot's payload), with its chunks `id = "<docId>#snapshot#<version>#<writeId>#<n>"`.
 */
export function dynamoSnapshots(shared: DynamoTables) {
  const { client, tables, snapshotChunks } = shared;
  const snapshotWrite = (operation: string, snapshot: Snapshot) =>
    ({ operation, kind: 'snapshot', ...snapshot }) as const;

  const createDocument = Effect.fnUntraced(function* (snapshot: Snapshot) {
    yield* checkDocId(snapshot.docId);
    if (snapshot.version !== 0) {
      return yield* Effect.die(new Error(`createDocument expects version 0, got ${snapshot.version}`));
    }
    yield* writePayloadItem(shared, snapshotWrite('createDocument', snapshot), (write) =>
      conditionalCall('createDocument', (signal) =>
        client.send(
          new PutCommand({
            TableName: tables.documents,
            Item: {
              id: snapshot.docId,
              version: 0,
              createdAt: snapshot.updatedAt,
              updatedAt: snapshot.updatedAt,
              writeId: write.writeId,
              ...write.set,
            },
            ConditionExpression: 'attribute_not_exists(id)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.catchTag('ConditionFailed', (failed) =>
          isOwnWrite(failed.item, write.writeId)
            ? Effect.void
            : write.dropChunks.pipe(
                Effect.andThen(Effect.fail(new DocumentAlreadyExists({ docId: snapshot.docId }))),
              ),
        ),
      ),
    );
  });

  const loadSnapshot = Effect.fnUntraced(function* (docId: string) {
    yield* checkDocId(docId);
    for (let attempt = 0; attempt < snapshotReadAttempts; attempt++) {
      const output = yield* call('loadSnapshot', (signal) =>
        client.send(
          new GetCommand({ TableName: tables.documents, Key: { id: docId }, ConsistentRead: true }),
          { abortSignal: signal },
        ),
      );
      const item = output.Item;
      if (item === undefined) return undefined;
      const payload = yield* readPayload(client, 'loadSnapshot', snapshotFields, snapshotChunks, item);
      // The chunks were deleted by a newer snapshot's writer: the head has moved on, read it again.
      if (payload.kind === 'chunks-missing') continue;
      const ops = yield* parseDelta(
        'loadSnapshot',
        payload.kind === 'json' ? payload.json : emptyDocumentJson,
      );
      // Items written by the seed have neither version nor timestamps: they are version 0.
      const snapshot: Snapshot = {
        docId,
        version: Predicate.isNumber(item.version) ? item.version : 0,
        ops,
        updatedAt: Predicate.isNumber(item.updatedAt) ? item.updatedAt : 0,
      };
      return snapshot;
    }
    return yield* new StorageFailure({
      operation: 'loadSnapshot',
      retryable: true,
      cause: new Error(`the snapshot of ${docId} changed under ${snapshotReadAttempts} consecutive reads`),
    });
  });

  const saveSnapshot = Effect.fnUntraced(function* (snapshot: Snapshot) {
    yield* checkDocId(snapshot.docId);
    yield* writePayloadItem(shared, snapshotWrite('saveSnapshot', snapshot), (write) =>
      Effect.gen(function* () {
        const names: Record<string, string> = {
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#createdAt': 'createdAt',
          '#writeId': 'writeId',
        };
        const values: Item = {
          ':version': snapshot.version,
          ':updatedAt': snapshot.updatedAt,
          ':writeId': write.writeId,
        };
        const assignments = [
          '#version = :version',
          '#updatedAt = :updatedAt',
          '#createdAt = if_not_exists(#createdAt, :updatedAt)',
          '#writeId = :writeId',
        ];
        for (const [name, value] of Object.entries(write.set)) {
          names[`#${name}`] = name;
          values[`:${name}`] = value;
          assignments.push(`#${name} = :${name}`);
        }
        for (const name of write.remove) names[`#${name}`] = name;
        const removal =
          write.remove.length > 0 ? ` REMOVE ${write.remove.map((name) => `#${name}`).join(', ')}` : '';

        const outcome = yield* conditionalCall('saveSnapshot', (signal) =>
          client.send(
            new UpdateCommand({
              TableName: tables.documents,
              Key: { id: snapshot.docId },
              UpdateExpression: `SET ${assignments.join(', ')}${removal}`,
              // Never backwards [S2]; an item without a version was written by the seed and counts as 0.
              ConditionExpression: 'attribute_not_exists(#version) OR #version < :version',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValues: 'ALL_OLD',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
            { abortSignal: signal },
          ),
        ).pipe(
          Effect.map((output) => ({ won: true, previous: output.Attributes })),
          // When the SDK retried our own successful update, the head carries our write id: we won, but the
          // previous head is unknown and its chunks (if any) stay behind unreferenced.
          Effect.catchTag('ConditionFailed', (failed) =>
            Effect.succeed({ won: isOwnWrite(failed.item, write.writeId), previous: undefined }),
          ),
        );

        if (!outcome.won) return yield* write.dropChunks;
        // The head moved on: the chunks the previous head pointed at are unreachable now.
        const previous = chunkPointer(snapshotFields, outcome.previous);
        if (previous !== undefined && previous.key !== write.chunkKey) {
          yield* deleteChunks(client, snapshotChunks, previous.key, previous.count);
        }
      }),
    );
  });

  return { createDocument, loadSnapshot, saveSnapshot };
}
