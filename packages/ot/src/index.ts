export {
  ClientDocument,
  type ClientDocumentInit,
  type ClientState,
  type IncomingOp,
  type OutgoingOp,
  type PendingOp,
  type ReceiveResult,
} from './client.js';
export { type AttributeMap, Delta, type Op } from './delta.js';
export { diffDocuments, maxDiffMiddle } from './diff.js';
export { applyChange, documentLength, isNoop, keepFinalNewline, normalizeDocument } from './document.js';
export { type Range, transformRange, untransformPosition, untransformRange } from './presence.js';
export { type CommittedChange, rebase, winsTie } from './rebase.js';
export { renderableDocument, renderableFix } from './renderable.js';
export { rebaseOnto } from './resync.js';
export { DocumentTree } from './tree/DocumentTree.js';
export { validateChange, validateChangeBounds, validateDocument } from './validate.js';
