/** Why a document could not be opened, as the client reports it (an error-catalogue tag, or `Disconnected`). */
export type OpenFailureTag = string;

export interface OpenFailure {
  /** Worth trying again by itself: the server is away or busy, not refusing. */
  readonly retryable: boolean;
  readonly title: string;
  readonly message: string;
  /** Nothing is at this address (as far as the caller may know): it can be created there. */
  readonly missing?: boolean;
}

const RETRYABLE = new Set(['Disconnected', 'Unavailable', 'RateLimited']);

/** What to tell someone whose document did not open. */
export function describeOpenFailure(tag: OpenFailureTag | undefined): OpenFailure {
  if (tag !== undefined && RETRYABLE.has(tag)) {
    return {
      retryable: true,
      title: 'Can’t reach the server',
      message:
        'Check your connection. We’ll keep trying, and the document opens as soon as the server answers.',
    };
  }
  switch (tag) {
    case 'InvalidInput':
      return {
        retryable: false,
        title: 'This isn’t a valid document',
        message: 'The link or id is not one the server accepts.',
      };
    case 'DocumentNotFound':
      return {
        retryable: false,
        missing: true,
        title: 'Document not found',
        message:
          'There is no document at this address, or it is not shared with you. Ask its owner for a link.',
      };
    case 'LimitExceeded':
      return {
        retryable: false,
        title: 'This document is too large',
        message: 'It is bigger than the server is configured to open.',
      };
    default:
      return {
        retryable: false,
        title: 'The document couldn’t be opened',
        message: 'The server ran into a problem. Try again in a moment.',
      };
  }
}
