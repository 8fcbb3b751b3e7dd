import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import type { StorageFailure } from '../DocumentStore.js';
import { call } from './errors.js';

/**
 * Where the chunks of a large payload live [S6]. A payload's chunks share a `chunkKey` that includes a
 * random write id, so two writers of the same document and version never write to the same items, and a
 * writer that loses a race can delete its own chunks without touching the winner's.
 */
export interface ChunkPlacement {
  readonly table: string;
  /** The primary key of chunk `index` of the payload stored under `chunkKey`. */
  key(chunkKey: string, index: number): Record<string, string | number>;
}

const chunkAttribute = 'chunk';
const chunkConcurrency = 4;

/** Writes every chunk; resolves once all are durable, so a head item may then point at them. */
export const writeChunks = (
  client: DynamoDBDocumentClient,
  placement: ChunkPlacement,
  chunkKey: string,
  chunks: readonly Uint8Array[],
): Effect.Effect<void, StorageFailure> =>
  Effect.forEach(
    chunks,
    (chunk, index) =>
      call('writeChunk', (signal) =>
        client.send(
          new PutCommand({
            TableName: placement.table,
            Item: { ...placement.key(chunkKey, index), [chunkAttribute]: chunk },
          }),
          { abortSignal: signal },
        ),
      ),
    { concurrency: chunkConcurrency, discard: true },
  );

/**
 * Reads `count` chunks with strongly consistent reads. Undefined when one is missing: the snapshot that
 * pointed at them was replaced and its chunks deleted between the caller's read of the head and now.
 */
export const readChunks = (
  client: DynamoDBDocumentClient,
  placement: ChunkPlacement,
  chunkKey: string,
  count: number,
): Effect.Effect<Uint8Array[] | undefined, StorageFailure> =>
  Effect.forEach(
    Array.from({ length: count }, (_, index) => index),
    (index) =>
      call('readChunk', (signal) =>
        client.send(
          new GetCommand({
            TableName: placement.table,
            Key: placement.key(chunkKey, index),
            ConsistentRead: true,
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.map((output) => {
          const value = output.Item?.[chunkAttribute];
          return Predicate.isUint8Array(value) ? value : undefined;
        }),
      ),
    { concurrency: chunkConcurrency },
  ).pipe(Effect.map((chunks) => (chunks.every(Predicate.isUint8Array) ? chunks : undefined)));

/**
 * Deletes chunks nobody points at any more. Best effort: a failure leaves unreachable items behind, which
 * costs storage but never correctness, so it is logged rather than failing the write that triggered it.
 */
export const deleteChunks = (
  client: DynamoDBDocumentClient,
  placement: ChunkPlacement,
  chunkKey: string,
  count: number,
): Effect.Effect<void> =>
  Effect.forEach(
    Array.from({ length: count }, (_, index) => index),
    (index) =>
      call('deleteChunk', (signal) =>
        client.send(new DeleteCommand({ TableName: placement.table, Key: placement.key(chunkKey, index) }), {
          abortSignal: signal,
        }),
      ),
    { concurrency: chunkConcurrency, discard: true },
  ).pipe(
    Effect.catch((failure) =>
      Effect.logWarning('could not delete unreferenced chunks', {
        table: placement.table,
        chunkKey,
        failure,
      }),
    ),
  );
