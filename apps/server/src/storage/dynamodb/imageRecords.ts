import { randomBytes } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import type { ImageRecordStore } from '../ImageRecords.js';
import { type ChunkPlacement, deleteChunks, readChunks, writeChunks } from './chunks.js';
import { call, conditionalCall } from './errors.js';
import { MAX_PAYLOAD_BYTES } from './payloadCodec.js';

/**
 * Uploaded images on DynamoDB [H4], in the documents table next to the access records:
 * - `#image#<docId>#<imageId>`: the head item (`contentType`, `size`, `createdAt`, `writeId`), with the
 *   bytes in `bytes` when they fit in one item, else `chunkKey` and `chunks`;
 * - `#imagechunk#<docId>#<imageId>#<writeId>#<n>`: the pieces of a larger image, each under the 400 KB item
 *   limit, written before the head that makes them reachable (see `chunks.ts`).
 * - `#images#<docId>`: the set of the document's image ids (`imageIds`), so that deleting the document
 *   forever finds them; an id joins it before its head is written.
 * Images are stored as they come: png, jpeg, gif and webp are compressed already.
 */
const headKey = (docId: string, imageId: string) => ({ id: `#image#${docId}#${imageId}` });
const listKey = (docId: string) => ({ id: `#images#${docId}` });

const chunkPlacement = (table: string): ChunkPlacement => ({
  table,
  key: (chunkKey, index) => ({ id: `${chunkKey}#${index}` }),
});

export function dynamoImageRecords(client: DynamoDBDocumentClient, table: string): ImageRecordStore {
  const placement = chunkPlacement(table);
  const readHead = (docId: string, imageId: string) =>
    call('loadImage', (signal) =>
      client.send(new GetCommand({ TableName: table, Key: headKey(docId, imageId), ConsistentRead: true }), {
        abortSignal: signal,
      }),
    ).pipe(Effect.map((output) => output.Item));
  const deleteItem = (key: Record<string, string>) =>
    call('deleteImages', (signal) =>
      client.send(new DeleteCommand({ TableName: table, Key: key }), { abortSignal: signal }),
    );
  return {
    saveImage: (image) =>
      Effect.gen(function* () {
        yield* call('saveImage', (signal) =>
          client.send(
            new UpdateCommand({
              TableName: table,
              Key: listKey(image.docId),
              UpdateExpression: 'ADD imageIds :id',
              ExpressionAttributeValues: { ':id': new Set([image.imageId]) },
            }),
            { abortSignal: signal },
          ),
        );
        const writeId = randomBytes(9).toString('base64url');
        const { bytes } = image;
        const fits = bytes.byteLength <= MAX_PAYLOAD_BYTES;
        const chunkKey = `#imagechunk#${image.docId}#${image.imageId}#${writeId}`;
        const chunks: Uint8Array[] = [];
        if (!fits) {
          for (let offset = 0; offset < bytes.byteLength; offset += MAX_PAYLOAD_BYTES) {
            chunks.push(bytes.subarray(offset, offset + MAX_PAYLOAD_BYTES));
          }
          yield* writeChunks(client, placement, chunkKey, chunks);
        }
        yield* conditionalCall('saveImage', (signal) =>
          client.send(
            new PutCommand({
              TableName: table,
              Item: {
                ...headKey(image.docId, image.imageId),
                contentType: image.contentType,
                size: bytes.byteLength,
                createdAt: image.createdAt,
                writeId,
                ...(fits ? { bytes } : { chunkKey, chunks: chunks.length }),
              },
              ConditionExpression: 'attribute_not_exists(id)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
            { abortSignal: signal },
          ),
        ).pipe(
          Effect.asVoid,
          // Stored before, with the same bytes (the id is their hash): drop this write's chunks, unless the
          // stored head is this very write, retried by the SDK after a lost answer.
          Effect.catchTag('ConditionFailed', (failed) =>
            failed.item?.writeId?.S === writeId || fits
              ? Effect.void
              : deleteChunks(client, placement, chunkKey, chunks.length),
          ),
        );
      }),
    loadImage: (docId, imageId) =>
      Effect.gen(function* () {
        const item = yield* readHead(docId, imageId);
        if (!item || !Predicate.isString(item.contentType)) return undefined;
        const meta = {
          docId,
          imageId,
          contentType: item.contentType,
          createdAt: Predicate.isNumber(item.createdAt) ? item.createdAt : 0,
        };
        if (Predicate.isUint8Array(item.bytes)) return { ...meta, bytes: item.bytes };
        if (!Predicate.isString(item.chunkKey) || !Predicate.isNumber(item.chunks)) return undefined;
        // An image's chunks are never replaced, so they are all there once its head is.
        const chunks = yield* readChunks(client, placement, item.chunkKey, item.chunks);
        if (!chunks) return undefined;
        return { ...meta, bytes: new Uint8Array(Buffer.concat(chunks)) };
      }),
    deleteImages: (docId) =>
      Effect.gen(function* () {
        const { Item: list } = yield* call('deleteImages', (signal) =>
          client.send(new GetCommand({ TableName: table, Key: listKey(docId), ConsistentRead: true }), {
            abortSignal: signal,
          }),
        );
        const ids = list?.imageIds instanceof Set ? [...list.imageIds].filter(Predicate.isString) : [];
        yield* Effect.forEach(
          ids,
          (imageId) =>
            Effect.gen(function* () {
              const head = yield* readHead(docId, imageId);
              yield* deleteItem(headKey(docId, imageId));
              if (head && Predicate.isString(head.chunkKey) && Predicate.isNumber(head.chunks)) {
                yield* deleteChunks(client, placement, head.chunkKey, head.chunks);
              }
            }),
          { concurrency: 4, discard: true },
        );
        yield* deleteItem(listKey(docId));
      }),
  };
}
