import { timingSafeEqual } from 'node:crypto';
import type { Role } from '@collab/protocol';
import type { AccessRecord } from '../storage/AccessRecords.js';
import type { Principal } from './principal.js';

const rank: Record<Role, number> = { viewer: 1, editor: 2, owner: 3 };

/** Is `role` at least `need`? owner > editor > viewer [A2]. */
export function atLeast(role: Role | undefined, need: Role): boolean {
  return role !== undefined && rank[role] >= rank[need];
}

function sameKey(given: string | undefined, stored: string | null): boolean {
  if (given === undefined || stored === null || given.length !== stored.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(stored));
}

const stronger = (a: Role | undefined, b: Role | undefined) => (atLeast(a, b ?? 'viewer') ? a : b);

/**
 * The role `principal` has on a document [A2]: owner if it created it, otherwise the best of what the
 * general access and the share link key it brings grant; undefined when neither grants anything. The
 * anonymous principal gets nothing when compatibility access is off [A8].
 */
export function roleOf(
  record: AccessRecord,
  principal: Principal,
  key: string | undefined,
  compatAccess: boolean,
): Role | undefined {
  if (principal.kind === 'anonymous' && !compatAccess) return undefined;
  if (record.ownerId !== null && record.ownerId === principal.authorId) return 'owner';
  const general: Role | undefined =
    record.generalAccess === 'edit' ? 'editor' : record.generalAccess === 'view' ? 'viewer' : undefined;
  const link: Role | undefined = sameKey(key, record.editorKey)
    ? 'editor'
    : sameKey(key, record.viewerKey)
      ? 'viewer'
      : undefined;
  return stronger(general, link);
}
