import { Delta, normalizeDocument, type Op, validateDocument } from '@collab/ot';
import {
  decodeLegacyDelta,
  describeIssues,
  encodeLegacyDocument,
  fromQuill1,
  isLegacyClientKey,
  LegacyFrame,
  type LegacyServerKey,
  type Limits,
  parseJsonText,
  toQuill1,
} from '@collab/protocol';

/** A frame of the seed's client, checked (docs/SPEC.md §6). */
export type ClientFrame =
  | { readonly key: 'get-document' }
  /** A local edit, in coordinates of what the client showed when it made it. */
  | { readonly key: 'changes-received'; readonly delta: Delta }
  /** The whole contents, sent by the seed's client every 2 s. */
  | { readonly key: 'save-changes'; readonly contents: Delta };

export type FrameParse =
  | { readonly ok: true; readonly frame: ClientFrame }
  /** `key` is set when the frame named a known key but its value was refused. */
  | { readonly ok: false; readonly key?: string; readonly message: string };

/** Parses one text frame: `{"key": …, "value": …}` where `value` is a string (or, leniently, the value itself). */
export function parseClientFrame(text: string, limits: Limits): FrameParse {
  const json = parseJsonText(text, limits.maxNestingDepth);
  if (!json.ok) return { ok: false, message: `The frame is ${json.message}` };
  const shape = LegacyFrame.safeParse(json.value);
  if (!shape.success) {
    return { ok: false, message: `A frame is {"key": …, "value": …}: ${describeIssues(shape.error.issues)}` };
  }
  const { key, value } = shape.data;
  if (!isLegacyClientKey(key)) return { ok: false, message: `Unknown frame key "${key}"` };
  if (key === 'get-document') return { ok: true, frame: { key } };

  const decoded = decodeLegacyDelta(value, limits.maxNestingDepth);
  if (!decoded.ok) return { ok: false, key, message: `The value of "${key}" is ${decoded.message}` };
  const { ops } = decoded.value;
  if (ops.length > limits.maxDeltaOps) {
    return {
      ok: false,
      key,
      message: `The delta has ${ops.length} ops, over the limit of ${limits.maxDeltaOps}`,
    };
  }
  // [C11] from here on the client's deltas are in the server's spelling; frames to it are translated back.
  if (key === 'changes-received') return { ok: true, frame: { key, delta: new Delta(fromQuill1(ops)) } };
  const contents = new Delta(fromQuill1(ops));
  const problem = validateDocument(contents);
  if (problem)
    return { ok: false, key, message: `The value of "save-changes" is not a document: ${problem}` };
  return { ok: true, frame: { key, contents: normalizeDocument(contents) } };
}

function frame(key: LegacyServerKey, value: string): string {
  return JSON.stringify({ key, value });
}

/** The answer to `get-document`: the client runs `quill.setContents(JSON.parse(JSON.parse(value).Data))`. */
export function dbDocumentFrame(id: string, ops: readonly Op[]): string {
  return frame('db-document', encodeLegacyDocument(id, toQuill1(ops)));
}

/** A change for the client to apply as it is: `quill.updateContents(JSON.parse(value))`. */
export function updateDocumentFrame(delta: Delta): string {
  return frame('update-document', JSON.stringify({ ops: toQuill1(delta.ops) }));
}

/** Why a frame was refused. The seed's client ignores keys it does not know. */
export function errorFrame(message: string): string {
  return frame('error', message);
}
