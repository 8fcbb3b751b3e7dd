import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import * as Effect from 'effect/Effect';
import * as Schema from 'effect/Schema';
import type { StorageFailure } from '../DocumentStore.js';
import { storageFailure } from './errors.js';

/** Table names; configurable so several deployments can share an account. */
export interface TableNames {
  /** The seed's table: one item per document, partition key `id`. */
  readonly documents: string;
  /** The op log: partition key `docId`, sort key `version` (a number). */
  readonly ops: string;
}

export const defaultTableNames: TableNames = { documents: 'SocketDocuments', ops: 'SocketDocumentOps' };

/** A table the store needs is missing or has a different key than the store expects. Stops the start. */
export class DynamoTableError extends Schema.TaggedError<DynamoTableError>()('DynamoTableError', {
  table: Schema.String,
  message: Schema.String,
}) {}

/**
 * The documents home [H3]: the entry of a document carries `homePrincipal` = its owner, and each
 * (principal, document) visit item the visitor, so this sparse index finds a principal's owned entries
 * (whole, projected) and visited document ids with one query.
 */
export const homeIndex = { name: 'HomeByPrincipal', partitionKey: 'homePrincipal' } as const;

const homeIndexDefinition: GlobalSecondaryIndex = {
  IndexName: homeIndex.name,
  KeySchema: [{ AttributeName: homeIndex.partitionKey, KeyType: 'HASH' }],
  Projection: {
    ProjectionType: 'INCLUDE',
    NonKeyAttributes: [
      'docId',
      'ownerId',
      'title',
      'firstLine',
      'createdAt',
      'lastEditAt',
      'lastEditorName',
      'trashedAt',
      'deletedAt',
    ],
  },
};

/** The key each table must have; also what `ensureTables` creates. */
export function tableDefinitions(names: TableNames): readonly CreateTableCommandInput[] {
  return [
    {
      TableName: names.documents,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: homeIndex.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [homeIndexDefinition],
    },
    {
      TableName: names.ops,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'docId', AttributeType: 'S' },
        { AttributeName: 'version', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'docId', KeyType: 'HASH' },
        { AttributeName: 'version', KeyType: 'RANGE' },
      ],
    },
  ];
}

function describeKey(
  schema: readonly KeySchemaElement[] | undefined,
  attributes: readonly AttributeDefinition[] | undefined,
): string {
  return (schema ?? [])
    .map((element) => {
      const type = attributes?.find(
        (attribute) => attribute.AttributeName === element.AttributeName,
      )?.AttributeType;
      return `${element.AttributeName} ${type ?? '?'} ${element.KeyType}`;
    })
    .join(', ');
}

/**
 * Checks that both tables exist with the expected keys. Missing tables are created (on-demand billing)
 * only when `create` is set: creating production tables by accident is worse than refusing to start.
 */
export const ensureTables = (
  client: DynamoDBClient,
  names: TableNames,
  create: boolean,
): Effect.Effect<void, DynamoTableError | StorageFailure> =>
  // One table after the other, so a start with both tables missing always names the documents table.
  Effect.forEach(tableDefinitions(names), (definition) => ensureTable(client, definition, create), {
    discard: true,
  });

const ensureTable = Effect.fnUntraced(function* (
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
  create: boolean,
) {
  const table = definition.TableName ?? '';
  const described = yield* Effect.tryPromise({
    try: (signal) => client.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal }),
    catch: (cause) => cause,
  }).pipe(
    Effect.map((output) => output.Table),
    Effect.catch((cause) =>
      cause instanceof ResourceNotFoundException
        ? Effect.succeed(undefined)
        : Effect.fail(storageFailure('describeTable', cause)),
    ),
  );

  if (described === undefined) {
    if (!create) {
      return yield* new DynamoTableError({
        table,
        message: `DynamoDB table "${table}" does not exist (set DYNAMODB_CREATE_TABLES=true to create it)`,
      });
    }
    yield* Effect.tryPromise({
      try: (signal) => client.send(new CreateTableCommand(definition), { abortSignal: signal }),
      catch: (cause) => cause,
    }).pipe(
      // Another instance starting at the same moment may have created it first.
      Effect.catch((cause) =>
        cause instanceof ResourceInUseException
          ? Effect.void
          : Effect.fail(storageFailure('createTable', cause)),
      ),
    );
    yield* Effect.tryPromise({
      try: () => waitUntilTableExists({ client, maxWaitTime: 120 }, { TableName: table }),
      catch: (cause) => storageFailure('waitForTable', cause),
    });
    return;
  }

  const expected = describeKey(definition.KeySchema, definition.AttributeDefinitions);
  const actual = describeKey(described.KeySchema, described.AttributeDefinitions);
  if (expected !== actual) {
    return yield* new DynamoTableError({
      table,
      message: `DynamoDB table "${table}" has key ${actual}; expected ${expected}`,
    });
  }

  // A table made before the documents home gets its index when creating is allowed.
  const missing = (definition.GlobalSecondaryIndexes ?? []).filter(
    (index) => !described.GlobalSecondaryIndexes?.some((found) => found.IndexName === index.IndexName),
  );
  for (const index of missing) {
    if (!create) {
      return yield* new DynamoTableError({
        table,
        message: `DynamoDB table "${table}" has no index ${index.IndexName} (set DYNAMODB_CREATE_TABLES=true to add it)`,
      });
    }
    yield* Effect.tryPromise({
      try: (signal) =>
        client.send(
          new UpdateTableCommand({
            TableName: table,
            AttributeDefinitions: definition.AttributeDefinitions,
            GlobalSecondaryIndexUpdates: [{ Create: index }],
          }),
          { abortSignal: signal },
        ),
      catch: (cause) => cause,
    }).pipe(
      // Another instance starting at the same moment may be adding it already.
      Effect.catch((cause) =>
        cause instanceof ResourceInUseException
          ? Effect.void
          : Effect.fail(storageFailure('createIndex', cause)),
      ),
    );
  }
});
