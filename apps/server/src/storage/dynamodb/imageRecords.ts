import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Effect, Predicate } from 'effect';
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
 * Images are stored as they come: png, jpeg, gif and webp are compressed already.
 */
const headKey = (docId: string, imageId: string) => ({ id: `#image#${docId}#${imageId}` });

const chunkPlacement = (table: string): ChunkPlacement => ({
  table,
  key: (chunkKey, index) => ({ id: `${chunkKey}#${index}` }),
});

export function dynamoImageRecords(client: DynamoDBDocumentClient, table: string): ImageRecordStore {
  const placement = chunkPlacement(table);
  return {
    saveImage: (image) =>
      Effect.gen(function* () {
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
        const { Item: item } = yield* call('loadImage', (signal) =>
          client.send(
            new GetCommand({ TableName: table, Key: headKey(docId, imageId), ConsistentRead: true }),
            { abortSignal: signal },
          ),
        );
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
  };
}
