import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Op } from '@collab/protocol';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import { StorageFailure } from '../DocumentStore.js';
import { decodeDelta, encodeDelta } from '../deltaJson.js';
import { type ChunkPlacement, deleteChunks, readChunks, writeChunks } from './chunks.js';
import { decodeGzip, type EncodedPayload, encodePayload } from './payloadCodec.js';
import type { TableNames } from './tables.js';

/*
 * Items that carry a payload (a snapshot or a delta as JSON) [S6]: the payload is stored inline as JSON when
 * it fits, gzipped when that fits, and otherwise in chunk items the item points at. This module holds the
 * one sequence that writes such an item (`writePayloadItem`) and the one that reads its payload back.
 */

export type Item = Record<string, unknown>;

/** What the store's modules share: the client, the table names and where chunks go. */
export interface DynamoTables {
  readonly client: DynamoDBDocumentClient;
  readonly tables: TableNames;
  /** Chunks of snapshots, in the documents table. */
  readonly snapshotChunks: ChunkPlacement;
  /** Chunks of op deltas and kept snapshots, in the ops table. */
  readonly opChunks: ChunkPlacement;
}

/**
 * Attribute names of a payload (see `EncodedPayload`). The documents table keeps the seed's `Data` for
 * JSON that fits in one item, so an old reader still finds the document there.
 */
export interface PayloadFields {
  readonly json: string;
  readonly gzip: string;
  readonly chunkKey: string;
  readonly chunkCount: string;
  /** Absent for `json`, so items written by the seed read as JSON. */
  readonly encoding: string;
}

export const snapshotFields: PayloadFields = {
  json: 'Data',
  gzip: 'DataGzip',
  chunkKey: 'DataChunkKey',
  chunkCount: 'DataChunks',
  encoding: 'DataEncoding',
};

export const opFields: PayloadFields = {
  json: 'delta',
  gzip: 'deltaGzip',
  chunkKey: 'deltaChunkKey',
  chunkCount: 'deltaChunks',
  encoding: 'deltaEncoding',
};

/** The attributes that store `payload`, and the payload attributes of other layouts (to remove). */
function payloadAttributes(
  fields: PayloadFields,
  payload: EncodedPayload,
  chunkKey: string,
): { readonly set: Item; readonly remove: readonly string[] } {
  const all = [fields.json, fields.gzip, fields.chunkKey, fields.chunkCount, fields.encoding];
  let set: Item;
  switch (payload.encoding) {
    case 'json':
      set = { [fields.json]: payload.json };
      break;
    case 'gzip':
      set = { [fields.gzip]: payload.gzip, [fields.encoding]: 'gzip' };
      break;
    case 'gzip-chunks':
      set = {
        [fields.chunkKey]: chunkKey,
        [fields.chunkCount]: payload.chunks.length,
        [fields.encoding]: 'gzip-chunks',
      };
      break;
  }
  return { set, remove: all.filter((name) => !(name in set)) };
}

/** The chunks an item points at, when its payload is chunked. */
export function chunkPointer(
  fields: PayloadFields,
  item: Item | undefined,
): { key: string; count: number } | undefined {
  if (item?.[fields.encoding] !== 'gzip-chunks') return undefined;
  const key = item[fields.chunkKey];
  const count = item[fields.chunkCount];
  return Predicate.isString(key) && Predicate.isNumber(count) ? { key, count } : undefined;
}

/**
 * `#` separates the parts of chunk keys, which share the tables with documents and ops. Document ids are
 * validated upstream [D3]; one with `#` reaching storage is a bug, so it is a defect here.
 */
export function checkDocId(docId: string): Effect.Effect<void> {
  return docId.includes('#')
    ? Effect.die(new Error(`document id ${JSON.stringify(docId)} contains "#", which storage reserves`))
    : Effect.void;
}

export function parseDelta(operation: string, json: string) {
  return Effect.try({
    try: () => decodeDelta(json),
    catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
  });
}

/** A payload item about to be written by `writePayloadItem`'s `write`. */
export interface PayloadWrite {
  /** A random id per write: names its chunks and lets a writer recognise its own item after an SDK retry. */
  readonly writeId: string;
  /** Where this write's chunks are (whether or not the payload needed any). */
  readonly chunkKey: string;
  /** The payload attributes to set on the item, and those of other layouts to remove from it. */
  readonly set: Item;
  readonly remove: readonly string[];
  /** Deletes this write's chunks (nothing when it has none): for a writer whose conditional write lost. */
  readonly dropChunks: Effect.Effect<void, StorageFailure>;
}

/**
 * Writes an item carrying `item.ops` so that readers never see half a payload: the chunks first, under keys
 * no other writer uses (the write id), then `write`, the single conditional write that makes them
 * reachable. A writer whose conditional write loses drops its own chunks (`PayloadWrite.dropChunks`);
 * a crash between the chunk writes and the conditional write leaves unreachable chunks, never a broken item.
 */
export const writePayloadItem = <A, E>(
  { client, snapshotChunks, opChunks }: DynamoTables,
  item: {
    readonly operation: string;
    /**
     * A document's snapshot (documents table), an op or a snapshot kept for history (ops table); it names
     * the chunks: `<docId>#<kind>#<version>#<writeId>`.
     */
    readonly kind: 'snapshot' | 'op' | 'archive';
    readonly docId: string;
    readonly version: number;
    readonly ops: readonly Op[];
  },
  write: (item: PayloadWrite) => Effect.Effect<A, E>,
): Effect.Effect<A, E | StorageFailure> =>
  Effect.gen(function* () {
    const [fields, placement] =
      item.kind === 'snapshot' ? [snapshotFields, snapshotChunks] : [opFields, opChunks];
    const writeId = randomBytes(9).toString('base64url');
    const chunkKey = `${item.docId}#${item.kind}#${item.version}#${writeId}`;
    const payload = yield* Effect.tryPromise({
      try: () => encodePayload(encodeDelta(item.ops)),
      catch: (cause) => new StorageFailure({ operation: item.operation, retryable: false, cause }),
    });
    if (payload.encoding === 'gzip-chunks') {
      yield* writeChunks(client, placement, chunkKey, payload.chunks);
    }
    const dropChunks =
      payload.encoding === 'gzip-chunks'
        ? deleteChunks(client, placement, chunkKey, payload.chunks.length)
        : Effect.void;
    return yield* write({ writeId, chunkKey, ...payloadAttributes(fields, payload, chunkKey), dropChunks });
  });

/** Whether an item found by a failed condition is this writer's own, written by an attempt the SDK retried. */
export const isOwnWrite = (item: { writeId?: { S?: string } } | undefined, writeId: string) =>
  item?.writeId?.S === writeId;

export type StoredPayload =
  | { readonly kind: 'json'; readonly json: string }
  /** Chunk items this item pointed at are gone: a newer write replaced it. */
  | { readonly kind: 'chunks-missing' }
  | { readonly kind: 'absent' };

const gunzip = (operation: string, parts: readonly Uint8Array[]) =>
  Effect.tryPromise({
    try: () => decodeGzip(parts),
    catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
  }).pipe(Effect.map((json): StoredPayload => ({ kind: 'json', json })));

/** The payload of an item written by `writePayloadItem` (or by the seed, as plain JSON). */
export const readPayload = (
  client: DynamoDBDocumentClient,
  operation: string,
  fields: PayloadFields,
  placement: ChunkPlacement,
  item: Item,
): Effect.Effect<StoredPayload, StorageFailure> => {
  const encoding = item[fields.encoding];
  if (encoding === undefined) {
    const json = item[fields.json];
    return Effect.succeed(
      Predicate.isString(json) && json !== '' ? { kind: 'json', json } : { kind: 'absent' },
    );
  }
  const data = item[fields.gzip];
  if (encoding === 'gzip' && Predicate.isUint8Array(data)) return gunzip(operation, [data]);
  const pointer = chunkPointer(fields, item);
  if (pointer === undefined) {
    return Effect.fail(
      new StorageFailure({
        operation,
        retryable: false,
        cause: new Error(`unreadable payload (encoding ${String(encoding)})`),
      }),
    );
  }
  return readChunks(client, placement, pointer.key, pointer.count).pipe(
    Effect.flatMap((chunks) =>
      chunks === undefined ? Effect.succeed({ kind: 'chunks-missing' } as const) : gunzip(operation, chunks),
    ),
  );
};
