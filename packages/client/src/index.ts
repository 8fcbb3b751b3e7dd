export { Delta, renderableDocument, renderableFix } from '@collab/ot';
export type { Api, AppRouter } from './api.js';
export { type CollabClient, type CollabClientOptions, createCollabClient } from './client.js';
export { CollabError, toCollabError } from './errors.js';
export {
  ClientSession,
  type DocumentEvents,
  type DocumentStatus,
  type RemotePresence,
  type ResetNotice,
  type UnsavedEdits,
} from './session.js';
