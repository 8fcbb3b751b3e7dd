import type { Op } from '@collab/protocol';
import * as Predicate from 'effect/Predicate';

/**
 * Deltas are stored as the JSON of a Quill delta, `{"ops":[...]}`: the shape the seed wrote into
 * `SocketDocuments.Data`, so old readers and people inspecting the tables see a familiar value.
 */
export function encodeDelta(ops: readonly Op[]): string {
  return JSON.stringify({ ops });
}

/**
 * Reads a stored delta. Also accepts a bare op array, which some writers of the seed's table used.
 * Throws on anything else: a value we cannot read must surface, not load as an empty document.
 */
export function decodeDelta(json: string): Op[] {
  const value: unknown = JSON.parse(json);
  if (Array.isArray(value)) return value as Op[];
  if (Predicate.hasProperty(value, 'ops') && Array.isArray(value.ops)) return value.ops as Op[];
  throw new Error('stored delta is neither {"ops":[...]} nor an op array');
}
