import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as Effect from 'effect/Effect';
import { type AuthorProfile, type NamedVersion, type Snapshot, StorageFailure } from '../DocumentStore.js';
import { call, conditionalCall } from './errors.js';
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
 * History [H1] in the ops table, under partition keys no document id can take: snapshots kept for history
 * under `docId = "<docId>#archive"`, `version = <version>` (payload and chunks as an op's), version names
 * under `docId = "<docId>#names"`, and author profiles under `docId = "author#<authorId>"`, `version = 0`.
 */
export function dynamoHistory(shared: DynamoTables) {
  const { client, tables, opChunks } = shared;
  const archiveSnapshot = Effect.fnUntraced(function* (snapshot: Snapshot) {
    yield* checkDocId(snapshot.docId);
    const item = { operation: 'archiveSnapshot', kind: 'archive', ...snapshot } as const;
    // A kept snapshot never changes: the first writer of a version keeps it, later ones drop their chunks.
    yield* writePayloadItem(shared, item, (write) =>
      conditionalCall('archiveSnapshot', (signal) =>
        client.send(
          new PutCommand({
            TableName: tables.ops,
            Item: {
              docId: `${snapshot.docId}#archive`,
              version: snapshot.version,
              createdAt: snapshot.updatedAt,
              writeId: write.writeId,
              ...write.set,
            },
            ConditionExpression: 'attribute_not_exists(docId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: signal },
        ),
      ).pipe(
        Effect.catchTag('ConditionFailed', (failed) =>
          isOwnWrite(failed.item, write.writeId) ? Effect.void : write.dropChunks,
        ),
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
    const payload = yield* readPayload(client, 'loadArchivedSnapshot', opFields, opChunks, item);
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

  return {
    archiveSnapshot,
    loadArchivedSnapshot,
    saveVersionName,
    listVersionNames: (docId: string) =>
      listVersionNames(docId).pipe(
        Effect.map((names): readonly NamedVersion[] => names.sort((a, b) => a.version - b.version)),
      ),
    saveAuthor,
    loadAuthors: (authorIds: readonly string[]) =>
      Effect.forEach(authorIds, loadAuthor, { concurrency: 8 }).pipe(
        Effect.map((found): readonly AuthorProfile[] => found.flat()),
      ),
  };
}
