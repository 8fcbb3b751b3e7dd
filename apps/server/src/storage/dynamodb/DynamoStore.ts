import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { Effect, Layer, Predicate, type Scope } from 'effect';
import {
  type AuthorProfile,
  type CommittedOpId,
  DocumentAlreadyExists,
  DocumentStore,
  type NamedVersion,
  OpIdTaken,
  type OpSummary,
  type Snapshot,
  StorageFailure,
  type StoredOp,
  VersionTaken,
} from '../DocumentStore.js';
import { decodeDelta, encodeDelta } from '../deltaJson.js';
import { dynamoAccessRecords } from './accessRecords.js';
import { type ChunkPlacement, deleteChunks, readChunks, writeChunks } from './chunks.js';
import { call, conditionalCall, transactionCall } from './errors.js';
import { dynamoHomeRecords } from './homeRecords.js';
import { dynamoImageRecords } from './imageRecords.js';
import { decodeGzip, type EncodedPayload, encodePayload } from './payloadCodec.js';
import { type DynamoTableError, defaultTableNames, ensureTables, type TableNames } from './tables.js';

export interface DynamoStoreOptions {
  /** Falls back to the SDK's usual sources (`AWS_REGION`, profile) when omitted. */
  readonly region?: string;
  /** e.g. a DynamoDB Local URL; omitted for AWS itself. */
  readonly endpoint?: string;
  /** Falls back to the SDK's default credential chain when omitted. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** The documents table (the seed's). Default `SocketDocuments`. */
  readonly documentsTable?: string;
  /** The op log table. Default `SocketDocumentOps`. */
  readonly opsTable?: string;
  /** Create missing tables at start (on-demand billing). Off by default: a missing table stops the start. */
  readonly createTables?: boolean;
  /** Attempts per request made by the SDK itself (it backs off on throttling and 5xx). SDK default: 3. */
  readonly maxAttempts?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

/**
 * Attribute names of a payload (see `EncodedPayload`). The documents table keeps the seed's `Data` for
 * JSON that fits in one item, so an old reader still finds the document there.
 */
interface PayloadFields {
  readonly json: string;
  readonly gzip: string;
  readonly chunkKey: string;
  readonly chunkCount: string;
  /** Absent for `json`, so items written by the seed read as JSON. */
  readonly encoding: string;
}

const snapshotFields: PayloadFields = {
  json: 'Data',
  gzip: 'DataGzip',
  chunkKey: 'DataChunkKey',
  chunkCount: 'DataChunks',
  encoding: 'DataEncoding',
};

const opFields: PayloadFields = {
  json: 'delta',
  gzip: 'deltaGzip',
  chunkKey: 'deltaChunkKey',
  chunkCount: 'deltaChunks',
  encoding: 'deltaEncoding',
};

/** A seed item without content (no `Data`, or an empty one) loads as an empty document [D1]. */
const emptyDocumentJson = encodeDelta([{ insert: '\n' }]);

/** Tries of a snapshot read whose chunks were deleted under it by a newer snapshot. */
const snapshotReadAttempts = 5;

type Item = Record<string, unknown>;

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

type StoredPayload =
  | { readonly kind: 'json'; readonly json: string }
  /** Chunk items this item pointed at are gone: a newer write replaced it. */
  | { readonly kind: 'chunks-missing' }
  | { readonly kind: 'absent' };

function chunkPointer(
  fields: PayloadFields,
  item: Item | undefined,
): { key: string; count: number } | undefined {
  if (item?.[fields.encoding] !== 'gzip-chunks') return undefined;
  const key = item[fields.chunkKey];
  const count = item[fields.chunkCount];
  return Predicate.isString(key) && Predicate.isNumber(count) ? { key, count } : undefined;
}

/**
 * The key of the item naming a committed op by `(clientId, seq)` [C3], in the ops table beside the ops: a
 * partition per document and client (`#` never occurs in a document id), sorted by seq.
 */
function opIdKey(docId: string, clientId: string, seq: number) {
  return { docId: `${docId}#id#${clientId}`, version: seq };
}

/** A random id per write: names its chunks and lets a writer recognise its own item after an SDK retry. */
function newWriteId(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * `#` separates the parts of chunk keys, which share the tables with documents and ops. Document ids are
 * validated upstream [D3]; one with `#` reaching storage is a bug, so it is a defect here.
 */
function checkDocId(docId: string): Effect.Effect<void> {
  return docId.includes('#')
    ? Effect.die(new Error(`document id ${JSON.stringify(docId)} contains "#", which storage reserves`))
    : Effect.void;
}

function parseDelta(operation: string, json: string) {
  return Effect.try({
    try: () => decodeDelta(json),
    catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
  });
}

function encode(operation: string, json: string) {
  return Effect.tryPromise({
    try: () => encodePayload(json),
    catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
  });
}

/**
 * Opens a DynamoDB client, checks (or creates) the tables and serves them as a `DocumentStore`; the
 * client is destroyed when the scope closes.
 *
 * Layout [S6]. Documents table `SocketDocuments`: one head item per document (`id`, `version`,
 * `updatedAt`, `createdAt`, `writeId`) holding the snapshot as the seed's `Data` JSON string when it fits
 * in one item, as `DataGzip` when its gzip fits, and otherwise pointing (`DataChunkKey`, `DataChunks`) at
 * chunk items `id = "<docId>#snapshot#<version>#<writeId>#<n>"` in the same table. Ops table
 * `SocketDocumentOps`: one item per op (`docId`, `version`, `delta` …), whose oversized delta lives in
 * chunk items `docId = "<docId>#op#<version>#<writeId>"`, `version = <n>` of the same table. Document
 * ids cannot contain `#`, so chunk items never collide with documents or ops.
 *
 * Writes of chunked payloads are ordered so readers never see half a payload: chunks first, under keys
 * no other writer uses (the write id), then the single conditional write of the head or op item that
 * makes them reachable, then (snapshots only) a best-effort delete of the chunks the head pointed at
 * before. A writer whose conditional write loses deletes its own chunks. A reader that finds a chunk
 * missing has raced with that delete: the head has moved on, so it reads the head again. A crash between
 * the chunk writes and the conditional write leaves unreachable chunks, never a broken document.
 *
 * History [H1] lives in the ops table under partition keys no document id can take: snapshots kept for
 * history under `docId = "<docId>#archive"`, `version = <version>` (payload and chunks as an op's),
 * version names under `docId = "<docId>#names"`, and author profiles under `docId = "author#<authorId>"`,
 * `version = 0`.
 */
export const make = (
  options: DynamoStoreOptions = {},
): Effect.Effect<DocumentStore['Service'], StorageFailure | DynamoTableError, Scope.Scope> =>
  Effect.gen(function* () {
    const tables: TableNames = {
      documents: options.documentsTable ?? defaultTableNames.documents,
      ops: options.opsTable ?? defaultTableNames.ops,
    };
    const baseClient = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new DynamoDBClient({
            region: options.region,
            endpoint: options.endpoint,
            credentials: options.credentials,
            maxAttempts: options.maxAttempts,
            requestHandler: {
              connectionTimeout: options.connectionTimeoutMs ?? 3_000,
              requestTimeout: options.requestTimeoutMs ?? 15_000,
            },
          }),
      ),
      (client) => Effect.sync(() => client.destroy()),
    );
    const client = DynamoDBDocumentClient.from(baseClient, {
      marshallOptions: { removeUndefinedValues: true },
    });
    yield* ensureTables(baseClient, tables, options.createTables ?? false);

    const snapshotChunks: ChunkPlacement = {
      table: tables.documents,
      key: (chunkKey, index) => ({ id: `${chunkKey}#${index}` }),
    };
    const opChunks: ChunkPlacement = {
      table: tables.ops,
      key: (chunkKey, index) => ({ docId: chunkKey, version: index }),
    };

    const readPayload = (
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
          chunks === undefined
            ? Effect.succeed({ kind: 'chunks-missing' } as const)
            : gunzip(operation, chunks),
        ),
      );
    };

    const gunzip = (operation: string, parts: readonly Uint8Array[]) =>
      Effect.tryPromise({
        try: () => decodeGzip(parts),
        catch: (cause) => new StorageFailure({ operation, retryable: false, cause }),
      }).pipe(Effect.map((json): StoredPayload => ({ kind: 'json', json })));

    const createDocument = Effect.fnUntraced(function* (snapshot: Snapshot) {
      yield* checkDocId(snapshot.docId);
      if (snapshot.version !== 0) {
        return yield* Effect.die(new Error(`createDocument expects version 0, got ${snapshot.version}`));
      }
      const writeId = newWriteId();
      const chunkKey = `${snapshot.docId}#snapshot#0#${writeId}`;
      const payload = yield* encode('createDocument', encodeDelta(snapshot.ops));
      if (payload.encoding === 'gzip-chunks') {
        yield* writeChunks(client, snapshotChunks, chunkKey, payload.chunks);
      }
      const { set } = payloadAttributes(snapshotFields, payload, chunkKey);
      yield* conditionalCall('createDocument', (signal) =>
        client.send(
          new PutCommand({
            TableName: tables.documents,
            Item: {
              id: snapshot.docId,
              version: 0,
              createdAt: snapshot.updatedAt,
              updatedAt: snapshot.updatedAt,
              writeId,
              ...set,
            },
            ConditionExpression: 'attribute_not_exists(id)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.catchTag('ConditionFailed', (failed) => {
          // Our own put, retried by the SDK after a lost answer, finds the item it wrote: that is success.
          if (failed.item?.writeId?.S === writeId) return Effect.void;
          const cleanup =
            payload.encoding === 'gzip-chunks'
              ? deleteChunks(client, snapshotChunks, chunkKey, payload.chunks.length)
              : Effect.void;
          return cleanup.pipe(
            Effect.andThen(Effect.fail(new DocumentAlreadyExists({ docId: snapshot.docId }))),
          );
        }),
      );
    });

    const loadSnapshot = Effect.fnUntraced(function* (docId: string) {
      yield* checkDocId(docId);
      for (let attempt = 0; attempt < snapshotReadAttempts; attempt++) {
        const output = yield* call('loadSnapshot', (signal) =>
          client.send(
            new GetCommand({ TableName: tables.documents, Key: { id: docId }, ConsistentRead: true }),
            {
              abortSignal: signal,
            },
          ),
        );
        const item = output.Item;
        if (item === undefined) return undefined;
        const payload = yield* readPayload('loadSnapshot', snapshotFields, snapshotChunks, item);
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
      const writeId = newWriteId();
      const chunkKey = `${snapshot.docId}#snapshot#${snapshot.version}#${writeId}`;
      const payload = yield* encode('saveSnapshot', encodeDelta(snapshot.ops));
      if (payload.encoding === 'gzip-chunks') {
        yield* writeChunks(client, snapshotChunks, chunkKey, payload.chunks);
      }
      const { set, remove } = payloadAttributes(snapshotFields, payload, chunkKey);
      const names: Record<string, string> = {
        '#version': 'version',
        '#updatedAt': 'updatedAt',
        '#createdAt': 'createdAt',
        '#writeId': 'writeId',
      };
      const values: Item = {
        ':version': snapshot.version,
        ':updatedAt': snapshot.updatedAt,
        ':writeId': writeId,
      };
      const assignments = [
        '#version = :version',
        '#updatedAt = :updatedAt',
        '#createdAt = if_not_exists(#createdAt, :updatedAt)',
        '#writeId = :writeId',
      ];
      for (const [name, value] of Object.entries(set)) {
        names[`#${name}`] = name;
        values[`:${name}`] = value;
        assignments.push(`#${name} = :${name}`);
      }
      for (const name of remove) names[`#${name}`] = name;
      const removal = remove.length > 0 ? ` REMOVE ${remove.map((name) => `#${name}`).join(', ')}` : '';

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
          Effect.succeed({ won: failed.item?.writeId?.S === writeId, previous: undefined }),
        ),
      );

      if (outcome.won) {
        const previous = chunkPointer(snapshotFields, outcome.previous);
        if (previous !== undefined && previous.key !== chunkKey) {
          yield* deleteChunks(client, snapshotChunks, previous.key, previous.count);
        }
      } else if (payload.encoding === 'gzip-chunks') {
        yield* deleteChunks(client, snapshotChunks, chunkKey, payload.chunks.length);
      }
    });

    const appendOp = Effect.fnUntraced(function* (op: StoredOp) {
      yield* checkDocId(op.docId);
      const writeId = newWriteId();
      const chunkKey = `${op.docId}#op#${op.version}#${writeId}`;
      const payload = yield* encode('appendOp', encodeDelta(op.ops));
      if (payload.encoding === 'gzip-chunks') {
        yield* writeChunks(client, opChunks, chunkKey, payload.chunks);
      }
      const { set } = payloadAttributes(opFields, payload, chunkKey);
      const cleanup =
        payload.encoding === 'gzip-chunks'
          ? deleteChunks(client, opChunks, chunkKey, payload.chunks.length)
          : Effect.void;
      // One transaction writes the op item, the conditional write that orders commits across processes
      // [S1], and its id item, which exists once per (docId, clientId, seq) [C3].
      yield* transactionCall('appendOp', (signal) =>
        client.send(
          new TransactWriteCommand({
            ClientRequestToken: writeId,
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
                    writeId,
                    ...set,
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
          if (opItem?.item?.writeId?.S === writeId) return Effect.void;
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
          return cleanup.pipe(Effect.andThen(taken));
        }),
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
      const payload = yield* readPayload('readOps', opFields, opChunks, item);
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

    const archiveSnapshot = Effect.fnUntraced(function* (snapshot: Snapshot) {
      yield* checkDocId(snapshot.docId);
      const writeId = newWriteId();
      const chunkKey = `${snapshot.docId}#archive#${snapshot.version}#${writeId}`;
      const payload = yield* encode('archiveSnapshot', encodeDelta(snapshot.ops));
      if (payload.encoding === 'gzip-chunks') {
        yield* writeChunks(client, opChunks, chunkKey, payload.chunks);
      }
      const { set } = payloadAttributes(opFields, payload, chunkKey);
      // A kept snapshot never changes: the first writer of a version keeps it, later ones drop their chunks.
      yield* conditionalCall('archiveSnapshot', (signal) =>
        client.send(
          new PutCommand({
            TableName: tables.ops,
            Item: {
              docId: `${snapshot.docId}#archive`,
              version: snapshot.version,
              createdAt: snapshot.updatedAt,
              writeId,
              ...set,
            },
            ConditionExpression: 'attribute_not_exists(docId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.catchTag('ConditionFailed', (failed) =>
          failed.item?.writeId?.S === writeId || payload.encoding !== 'gzip-chunks'
            ? Effect.void
            : deleteChunks(client, opChunks, chunkKey, payload.chunks.length),
        ),
      );
    });

    const loadArchivedSnapshot = Effect.fnUntraced(function* (docId: string, version: number) {
      yield* checkDocId(docId);
      const page = yield* call('loadArchivedSnapshot', (signal) =>
        client.send(
          new QueryCommand({
            TableName: tables.ops,
            KeyConditionExpression: '#docId = :docId AND #version <= :version',
            ExpressionAttributeNames: { '#docId': 'docId', '#version': 'version' },
            ExpressionAttributeValues: { ':docId': `${docId}#archive`, ':version': version },
            ScanIndexForward: false,
            Limit: 1,
            ConsistentRead: true,
          }),
          { abortSignal: signal },
        ),
      );
      const item = page.Items?.[0];
      if (item === undefined) return undefined;
      const payload = yield* readPayload('loadArchivedSnapshot', opFields, opChunks, item);
      if (payload.kind !== 'json') {
        return yield* new StorageFailure({
          operation: 'loadArchivedSnapshot',
          retryable: false,
          cause: new Error(`kept snapshot ${docId}@${String(item.version)} is unreadable (${payload.kind})`),
        });
      }
      const snapshot: Snapshot = {
        docId,
        version: Number(item.version),
        ops: yield* parseDelta('loadArchivedSnapshot', payload.json),
        updatedAt: Number(item.createdAt),
      };
      return snapshot;
    });

    const createAndArchive = (snapshot: Snapshot) =>
      createDocument(snapshot).pipe(Effect.andThen(archiveSnapshot(snapshot)));

    const saveVersionName = Effect.fnUntraced(function* (named: NamedVersion) {
      yield* checkDocId(named.docId);
      yield* call('saveVersionName', (signal) =>
        client.send(
          new PutCommand({
            TableName: tables.ops,
            Item: {
              docId: `${named.docId}#names`,
              version: named.version,
              name: named.name,
              createdAt: named.createdAt,
            },
          }),
          { abortSignal: signal },
        ),
      );
    });

    const listVersionNames = Effect.fnUntraced(function* (docId: string) {
      yield* checkDocId(docId);
      const names: NamedVersion[] = [];
      let startKey: Item | undefined;
      do {
        const page = yield* call('listVersionNames', (signal) =>
          client.send(
            new QueryCommand({
              TableName: tables.ops,
              KeyConditionExpression: '#docId = :docId',
              ExpressionAttributeNames: { '#docId': 'docId' },
              ExpressionAttributeValues: { ':docId': `${docId}#names` },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
            { abortSignal: signal },
          ),
        );
        for (const item of page.Items ?? []) {
          names.push({
            docId,
            version: Number(item.version),
            name: String(item.name),
            createdAt: Number(item.createdAt),
          });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return names;
    });

    const authorKey = (authorId: string) => ({ docId: `author#${authorId}`, version: 0 });

    const saveAuthor = (author: AuthorProfile) =>
      call('saveAuthor', (signal) =>
        client.send(
          new PutCommand({
            TableName: tables.ops,
            Item: {
              ...authorKey(author.authorId),
              name: author.name,
              color: author.color,
              updatedAt: author.updatedAt,
            },
          }),
          { abortSignal: signal },
        ),
      ).pipe(Effect.asVoid);

    const loadAuthor = (authorId: string) =>
      call('loadAuthors', (signal) =>
        client.send(new GetCommand({ TableName: tables.ops, Key: authorKey(authorId) }), {
          abortSignal: signal,
        }),
      ).pipe(
        Effect.map((output): AuthorProfile[] => {
          const item = output.Item;
          if (item === undefined) return [];
          return [
            {
              authorId,
              name: String(item.name),
              color: String(item.color),
              updatedAt: Number(item.updatedAt),
            },
          ];
        }),
      );

    return DocumentStore.of({
      createDocument: createAndArchive,
      readOpSummaries: (docId, afterVersion, toVersion, limit) =>
        readOpSummaries(docId, afterVersion, toVersion, limit).pipe(
          Effect.map((summaries): readonly OpSummary[] => summaries),
        ),
      archiveSnapshot,
      loadArchivedSnapshot,
      saveVersionName,
      listVersionNames: (docId) =>
        listVersionNames(docId).pipe(
          Effect.map((names): readonly NamedVersion[] => names.sort((a, b) => a.version - b.version)),
        ),
      saveAuthor,
      loadAuthors: (authorIds) =>
        Effect.forEach(authorIds, loadAuthor, { concurrency: 8 }).pipe(
          Effect.map((found): readonly AuthorProfile[] => found.flat()),
        ),
      loadSnapshot,
      saveSnapshot,
      appendOp,
      findOp,
      readOps: (docId, afterVersion, toVersion, limit) =>
        readOps(docId, afterVersion, toVersion, limit).pipe(Effect.map((ops): readonly StoredOp[] => ops)),
      close: () => Effect.sync(() => baseClient.destroy()),
      ...dynamoAccessRecords(client, tables.documents),
      ...dynamoHomeRecords(client, tables),
      ...dynamoImageRecords(client, tables.documents),
    });
  });

/** `DocumentStore` on DynamoDB: the production adapter. Destroys the client on layer teardown. */
export const layer = (
  options: DynamoStoreOptions = {},
): Layer.Layer<DocumentStore, StorageFailure | DynamoTableError> =>
  Layer.effect(DocumentStore, make(options));
