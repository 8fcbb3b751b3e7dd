import { z } from 'zod';
import { LinkKey } from './access.js';
import { DeltaJson } from './delta.js';
import { ClientId, DocumentId } from './ids.js';

const Version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A share link's key, passed on every call that names a document opened through the link [A2]. */
const key = LinkKey.optional();

export const DocumentRef = z.strictObject({ id: DocumentId, key });

/** A document as stored: its id, version [D2] and contents (inserts only, ending in "\n") [D1]. */
export const DocumentSnapshot = z.object({ id: DocumentId, version: Version, delta: DeltaJson });
export type DocumentSnapshot = z.infer<typeof DocumentSnapshot>;

export const GetOrCreateOutput = DocumentSnapshot.extend({ created: z.boolean() });
export type GetOrCreateOutput = z.infer<typeof GetOrCreateOutput>;

export const CreateInput = z.strictObject({ id: DocumentId.optional(), delta: DeltaJson.optional() });
export type CreateInput = z.infer<typeof CreateInput>;

export const UpdateInput = z.strictObject({ id: DocumentId, key, delta: DeltaJson });
export type UpdateInput = z.infer<typeof UpdateInput>;
export const UpdateOutput = z.object({ id: DocumentId, version: Version });

export const SubmitInput = z.strictObject({
  id: DocumentId,
  key,
  clientId: ClientId,
  seq: Seq,
  baseVersion: Version,
  delta: DeltaJson,
});
export type SubmitInput = z.infer<typeof SubmitInput>;
export const SubmitOutput = z.object({ version: Version });
export type SubmitOutput = z.infer<typeof SubmitOutput>;

/** One committed op: version `v` turns version `v-1` into `v` [D2]. */
export const CommittedOp = z.object({
  version: z.number().int().positive(),
  delta: DeltaJson,
  clientId: z.string(),
  seq: Seq,
});
export type CommittedOp = z.infer<typeof CommittedOp>;

export const ChangesInput = z.strictObject({
  id: DocumentId,
  key,
  sinceVersion: Version,
  /** Set by tRPC's wsLink on reconnect: the tracked id (last version) of the last event received. */
  lastEventId: z
    .string()
    .regex(/^\d{1,16}$/, { error: 'lastEventId must be a version number' })
    .nullish(),
});
export type ChangesInput = z.infer<typeof ChangesInput>;

/** One event of `documents.changes`: consecutive committed ops, in version order [C2]. */
export const ChangesEvent = z.object({ ops: z.array(CommittedOp) });
export type ChangesEvent = z.infer<typeof ChangesEvent>;

export const HistoryInput = z.strictObject({
  id: DocumentId,
  key,
  fromVersion: Version,
  toVersion: Version.optional(),
  limit: z.number().int().positive().optional(),
});
export type HistoryInput = z.infer<typeof HistoryInput>;
/** Ops with `fromVersion < version <= toVersion`, oldest first; `nextFromVersion` is set when more remain. */
export const HistoryOutput = z.object({
  id: DocumentId,
  ops: z.array(CommittedOp),
  headVersion: Version,
  nextFromVersion: Version.nullable(),
});
export type HistoryOutput = z.infer<typeof HistoryOutput>;

/** A caret or selection: `length` 0 is a caret. */
export const PresenceRange = z.strictObject({
  index: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  length: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type PresenceRange = z.infer<typeof PresenceRange>;

export const PresenceUser = z.strictObject({
  name: z.string().trim().min(1).max(64),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'color must be #rrggbb' }),
});
export type PresenceUser = z.infer<typeof PresenceUser>;

export const PresenceUpdateInput = z.strictObject({
  id: DocumentId,
  key,
  clientId: ClientId,
  user: PresenceUser,
  /** null: connected, with no selection (editor not focused). */
  range: PresenceRange.nullable(),
  /** The document version the range refers to; the server transforms it to the head [C6]. */
  version: Version,
});
export type PresenceUpdateInput = z.infer<typeof PresenceUpdateInput>;

export const PresenceStreamInput = z.strictObject({ id: DocumentId, key, clientId: ClientId.optional() });

/** The presence of one client as others see it. */
export const PresenceEntry = z.object({
  clientId: z.string(),
  user: PresenceUser,
  range: PresenceRange.nullable(),
  version: Version,
});
export type PresenceEntry = z.infer<typeof PresenceEntry>;

/** A presence event: a client's current state, or its departure. */
export const PresenceEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('update'), entry: PresenceEntry }),
  z.object({ type: z.literal('leave'), clientId: z.string() }),
]);
export type PresenceEvent = z.infer<typeof PresenceEvent>;
