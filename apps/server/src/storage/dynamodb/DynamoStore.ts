import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';
import type * as Scope from 'effect/Scope';
import { DocumentStore, type Snapshot, type StorageFailure } from '../DocumentStore.js';
import { dynamoAccessRecords } from './accessRecords.js';
import { dynamoHistory } from './history.js';
import { dynamoHomeRecords } from './homeRecords.js';
import { dynamoImageRecords } from './imageRecords.js';
import { dynamoOps } from './ops.js';
import type { DynamoTables } from './payloadItems.js';
import { dynamoSnapshots } from './snapshots.js';
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
 * Opens a DynamoDB client, checks (or creates) the tables and serves them as a `DocumentStore`; the
 * client is destroyed when the scope closes.
 *
 * Layout [S6]. Documents table `SocketDocuments`: one head item per document holding the snapshot as the
 * seed's `Data` JSON string when it fits in one item, as `DataGzip` when its gzip fits, and otherwise
 * pointing at chunk items in the same table (`snapshots.ts`). Ops table `SocketDocumentOps`: one item per
 * op, an oversized delta in chunk items of the same table (`ops.ts`), and the history's kept snapshots,
 * version names and author profiles under partition keys of their own (`history.ts`). Document ids cannot
 * contain `#`, so chunk and history items never collide with documents or ops.
 *
 * Every item with a payload is written by `writePayloadItem` (`payloadItems.ts`): chunks first, then the
 * one conditional write that makes them reachable, so readers never see half a payload. A reader that
 * finds a chunk missing has raced with the delete of a replaced snapshot's chunks: it reads the head again.
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

    const shared: DynamoTables = {
      client,
      tables,
      snapshotChunks: { table: tables.documents, key: (chunkKey, index) => ({ id: `${chunkKey}#${index}` }) },
      opChunks: { table: tables.ops, key: (chunkKey, index) => ({ docId: chunkKey, version: index }) },
    };
    const snapshots = dynamoSnapshots(shared);
    const history = dynamoHistory(shared);

    return DocumentStore.of({
      ...snapshots,
      // Version 0 is kept for history too, so every version can be rebuilt [H1].
      createDocument: (snapshot: Snapshot) =>
        snapshots.createDocument(snapshot).pipe(Effect.andThen(history.archiveSnapshot(snapshot))),
      ...dynamoOps(shared),
      ...history,
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
