import { z } from 'zod';
import { LinkKey } from './access.js';
import { DeltaJson } from './delta.js';
import { ClientId, DocumentId } from './ids.js';

const Version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The author an op belongs to: the part of its client id before the first ".", or the whole id [H1]. */
export function authorIdOf(clientId: string): string {
  const dot = clientId.indexOf('.');
  return dot === -1 ? clientId : clientId.slice(0, dot);
}

/** Someone who wrote in a version, with the name and colour they last showed in presence [H1]. */
export const HistoryAuthor = z.object({ authorId: z.string(), name: z.string(), color: z.string() });
export type HistoryAuthor = z.infer<typeof HistoryAuthor>;

export const HistorySessionsInput = z.strictObject({ id: DocumentId, key: LinkKey.optional() });

/**
 * One entry of the version history: consecutive ops close in time (an editing session), a restore, or the
 * ops up to a named version. It turns version `fromVersion` into `toVersion`.
 */
export const HistorySession = z.object({
  fromVersion: Version,
  toVersion: Version,
  startedAt: z.number(),
  endedAt: z.number(),
  opCount: z.number().int(),
  authors: z.array(HistoryAuthor),
  /** The name given to `toVersion`, if any. */
  name: z.string().nullable(),
  /** Whether this entry is a restore of an earlier version. */
  restore: z.boolean(),
});
export type HistorySession = z.infer<typeof HistorySession>;

/** Every entry, newest first. */
export const HistorySessionsOutput = z.object({
  id: z.string(),
  headVersion: Version,
  sessions: z.array(HistorySession),
});
export type HistorySessionsOutput = z.infer<typeof HistorySessionsOutput>;

export const HistoryAtInput = z.strictObject({
  id: DocumentId,
  key: LinkKey.optional(),
  version: Version,
  /** Highlight the changes made since this earlier version (the previous entry's version). */
  sinceVersion: Version.optional(),
});

/**
 * The document at `version`, and, when `sinceVersion` was given, the same text with what changed since
 * marked: inserted text carries the attribute `historyInsert`, deleted text is kept and carries
 * `historyDelete`, each set to the author's id (or "" when the changes were too many to attribute).
 */
export const HistoryAtOutput = z.object({
  id: z.string(),
  version: Version,
  delta: DeltaJson,
  changes: DeltaJson.nullable(),
  authors: z.array(HistoryAuthor),
});
export type HistoryAtOutput = z.infer<typeof HistoryAtOutput>;

export const HistoryNameInput = z.strictObject({
  id: DocumentId,
  key: LinkKey.optional(),
  version: Version,
  name: z.string().trim().min(1, { error: 'a version name cannot be empty' }).max(100),
});

export const HistoryRestoreInput = z.strictObject({
  id: DocumentId,
  key: LinkKey.optional(),
  version: Version,
  /** The restoring client: the restore is recorded under its author. */
  clientId: ClientId,
});
