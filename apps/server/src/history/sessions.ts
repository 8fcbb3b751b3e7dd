import { authorIdOf } from '@collab/protocol';
import type { OpSummary } from '../storage/DocumentStore.js';

/** A pause longer than this between two ops starts a new editing session, as in Google Docs. */
export const sessionGapMs = 5 * 60_000;

/** One history entry before authors' names are looked up. */
export interface SessionSummary {
  fromVersion: number;
  toVersion: number;
  startedAt: number;
  endedAt: number;
  opCount: number;
  /** Author ids, in the order they first wrote. */
  authorIds: string[];
  restore: boolean;
}

/** Restores are committed under `<authorId>.restore-<random>`, so they show as entries of their own. */
export function restoreClientId(authorId: string, random: string): string {
  return `${authorId}.restore-${random}`;
}

export function isRestore(clientId: string): boolean {
  return clientId.slice(authorIdOf(clientId).length).startsWith('.restore-');
}

/**
 * Appends ops (oldest first, consecutive versions) to the entries built so far, oldest first. A new entry
 * starts after a pause of more than `gapMs`, after a named version, and around each restore.
 */
export function appendToSessions(
  sessions: SessionSummary[],
  ops: readonly OpSummary[],
  namedVersions: ReadonlySet<number>,
  gapMs = sessionGapMs,
): void {
  for (const op of ops) {
    const last = sessions.at(-1);
    const restore = isRestore(op.clientId);
    const authorId = authorIdOf(op.clientId);
    const continues =
      last !== undefined &&
      !restore &&
      !last.restore &&
      !namedVersions.has(last.toVersion) &&
      op.createdAt - last.endedAt <= gapMs;
    if (continues) {
      last.toVersion = op.version;
      last.endedAt = op.createdAt;
      last.opCount++;
      if (!last.authorIds.includes(authorId)) last.authorIds.push(authorId);
    } else {
      sessions.push({
        fromVersion: op.version - 1,
        toVersion: op.version,
        startedAt: op.createdAt,
        endedAt: op.createdAt,
        opCount: 1,
        authorIds: [authorId],
        restore,
      });
    }
  }
}
