import { errorCatalogue } from '@collab/protocol';
import * as Schema from 'effect/Schema';

/**
 * The server's expected failures, one class per tag of the protocol's error catalogue, which holds their
 * tRPC code and HTTP status. `message` names the problem for the client; it never holds internals.
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()('InvalidInput', {
  message: Schema.String,
}) {}
export class InvalidOperation extends Schema.TaggedError<InvalidOperation>()('InvalidOperation', {
  message: Schema.String,
}) {}
export class VersionAhead extends Schema.TaggedError<VersionAhead>()('VersionAhead', {
  message: Schema.String,
}) {}
export class Unauthorized extends Schema.TaggedError<Unauthorized>()('Unauthorized', {
  message: Schema.String,
}) {}
export class Forbidden extends Schema.TaggedError<Forbidden>()('Forbidden', {
  message: Schema.String,
}) {}
export class VersionTooOld extends Schema.TaggedError<VersionTooOld>()('VersionTooOld', {
  message: Schema.String,
}) {}
export class DocumentNotFound extends Schema.TaggedError<DocumentNotFound>()('DocumentNotFound', {
  message: Schema.String,
}) {}
export class DocumentExists extends Schema.TaggedError<DocumentExists>()('DocumentExists', {
  message: Schema.String,
}) {}
export class LimitExceeded extends Schema.TaggedError<LimitExceeded>()('LimitExceeded', {
  message: Schema.String,
}) {}
/** `retryAfterMs`: when trying again may succeed (sent as `Retry-After`). */
export class RateLimited extends Schema.TaggedError<RateLimited>()('RateLimited', {
  message: Schema.String,
  retryAfterMs: Schema.Number,
}) {}
export class TooManyConnections extends Schema.TaggedError<TooManyConnections>()('TooManyConnections', {
  message: Schema.String,
  retryAfterMs: Schema.Number,
}) {}
export class Unavailable extends Schema.TaggedError<Unavailable>()('Unavailable', {
  message: Schema.String,
}) {}

export type AppError =
  | InvalidInput
  | InvalidOperation
  | VersionAhead
  | Unauthorized
  | Forbidden
  | VersionTooOld
  | DocumentNotFound
  | DocumentExists
  | LimitExceeded
  | RateLimited
  | TooManyConnections
  | Unavailable;

const appErrorTags = new Set<string>(Object.keys(errorCatalogue));

export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === 'object' &&
    value !== null &&
    '_tag' in value &&
    appErrorTags.has((value as { _tag: string })._tag) &&
    (value as { _tag: string })._tag !== 'Internal'
  );
}

export const notFound = (id: string) => new DocumentNotFound({ message: `Document "${id}" not found` });
