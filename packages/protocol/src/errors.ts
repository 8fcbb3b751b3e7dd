/**
 * The error catalogue: every expected failure the service can answer, with its tRPC code, HTTP status
 * and a default message. The server's typed errors take their tags from here; clients switch on `tag`.
 * Messages name the problem; they never carry a stack, a path or a storage error's text.
 */
export const errorCatalogue = {
  InvalidInput: { code: 'BAD_REQUEST', status: 400, message: 'The request is not valid' },
  InvalidOperation: {
    code: 'BAD_REQUEST',
    status: 400,
    message: 'The operation does not apply to the document',
  },
  VersionAhead: { code: 'BAD_REQUEST', status: 400, message: 'The base version is ahead of the document' },
  Unauthorized: { code: 'UNAUTHORIZED', status: 401, message: 'The credentials are not valid' },
  Forbidden: { code: 'FORBIDDEN', status: 403, message: 'You may not change this document' },
  /** [L1] older than the ops the server keeps for rebasing: catch up with the document, then send again. */
  VersionTooOld: {
    code: 'PRECONDITION_FAILED',
    status: 412,
    message: 'The base version is older than the server keeps; catch up and send again',
  },
  DocumentNotFound: { code: 'NOT_FOUND', status: 404, message: 'Document not found' },
  DocumentExists: { code: 'CONFLICT', status: 409, message: 'A document with this id already exists' },
  LimitExceeded: { code: 'PAYLOAD_TOO_LARGE', status: 413, message: 'A limit was exceeded' },
  RateLimited: { code: 'TOO_MANY_REQUESTS', status: 429, message: 'Too many requests; slow down' },
  TooManyConnections: {
    code: 'TOO_MANY_REQUESTS',
    status: 429,
    message: 'Too many connections to this document',
  },
  Unavailable: { code: 'SERVICE_UNAVAILABLE', status: 503, message: 'The service is busy; try again' },
  Internal: { code: 'INTERNAL_SERVER_ERROR', status: 500, message: 'Internal server error' },
} as const;

export type ErrorTag = keyof typeof errorCatalogue;
export type TrpcErrorCode = (typeof errorCatalogue)[ErrorTag]['code'];

export function isErrorTag(value: unknown): value is ErrorTag {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}
