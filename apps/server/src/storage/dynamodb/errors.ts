import {
  type AttributeValue,
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import * as Data from 'effect/Data';
import * as Effect from 'effect/Effect';
import * as Predicate from 'effect/Predicate';
import { StorageFailure } from '../DocumentStore.js';

/** Error names DynamoDB uses when it is overloaded or throttling us: waiting and retrying helps. */
const retryableErrorNames = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'ReplicatedWriteConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Socket and DNS failures: the request may not have reached DynamoDB, or its answer was lost. */
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether a failed DynamoDB call may succeed if tried again: throttling, 5xx and network errors are
 * transient; validation, missing tables and access errors are not. The SDK has already retried by the
 * time this runs, so this tells the caller whether to back off and retry at its own level.
 */
export function isRetryableDynamoError(error: unknown): boolean {
  if (!Predicate.isObject(error)) return false;
  if (
    Predicate.hasProperty(error, 'name') &&
    Predicate.isString(error.name) &&
    retryableErrorNames.has(error.name)
  ) {
    return true;
  }
  if (
    Predicate.hasProperty(error, 'code') &&
    Predicate.isString(error.code) &&
    networkErrorCodes.has(error.code)
  ) {
    return true;
  }
  if (Predicate.hasProperty(error, '$retryable') && Predicate.isObject(error.$retryable)) return true;
  if (Predicate.hasProperty(error, '$metadata') && Predicate.hasProperty(error.$metadata, 'httpStatusCode')) {
    const status = error.$metadata.httpStatusCode;
    if (Predicate.isNumber(status) && (status >= 500 || status === 429)) return true;
  }
  return false;
}

/** Wraps a failed DynamoDB call; the cause stays for logs and never reaches a client. */
export function storageFailure(operation: string, cause: unknown): StorageFailure {
  return new StorageFailure({ operation, retryable: isRetryableDynamoError(cause), cause });
}

/**
 * A `ConditionExpression` did not hold. `item` is the item as DynamoDB found it (requested with
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`, in the low-level attribute-value format), which lets a
 * writer tell "someone else got there first" from "my own earlier attempt, retried by the SDK, succeeded".
 */
export class ConditionFailed extends Data.TaggedError('ConditionFailed')<{
  readonly item: Record<string, AttributeValue> | undefined;
}> {}

/** Runs one SDK call; interruption aborts the request. Every failure becomes a `StorageFailure`. */
export function call<A>(
  operation: string,
  run: (signal: AbortSignal) => Promise<A>,
): Effect.Effect<A, StorageFailure> {
  return Effect.tryPromise({
    try: (signal) => run(signal),
    catch: (cause) => storageFailure(operation, cause),
  });
}

/** Like `call`, for a conditional write: a failed condition is `ConditionFailed`, not a storage failure. */
export function conditionalCall<A>(
  operation: string,
  run: (signal: AbortSignal) => Promise<A>,
): Effect.Effect<A, ConditionFailed | StorageFailure> {
  return Effect.tryPromise({
    try: (signal) => run(signal),
    catch: (cause) =>
      cause instanceof ConditionalCheckFailedException
        ? new ConditionFailed({ item: cause.Item })
        : storageFailure(operation, cause),
  });
}

/**
 * A transaction was cancelled: `reasons` holds, per item in request order, why (`ConditionalCheckFailed`
 * with the item as found, `TransactionConflict` when another write was touching it, `None` for an item
 * that was fine).
 */
export class TransactionCancelled extends Data.TaggedError('TransactionCancelled')<{
  readonly reasons: readonly {
    readonly code: string | undefined;
    readonly item: Record<string, AttributeValue> | undefined;
  }[];
}> {}

/** Like `call`, for a transaction: a cancellation is `TransactionCancelled`, not a storage failure. */
export function transactionCall<A>(
  operation: string,
  run: (signal: AbortSignal) => Promise<A>,
): Effect.Effect<A, TransactionCancelled | StorageFailure> {
  return Effect.tryPromise({
    try: (signal) => run(signal),
    catch: (cause) =>
      cause instanceof TransactionCanceledException
        ? new TransactionCancelled({
            reasons: (cause.CancellationReasons ?? []).map((reason) => ({
              code: reason.Code,
              item: reason.Item,
            })),
          })
        : storageFailure(operation, cause),
  });
}
