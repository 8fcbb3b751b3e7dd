import { z } from 'zod';
import { DocumentId } from './ids.js';

/**
 * Who may open a document without being its owner [A2]: nobody (`restricted`: only holders of a share
 * link), or anyone who has its address (`view`, `edit`).
 */
export const GeneralAccess = z.enum(['restricted', 'view', 'edit'], {
  error: 'general access must be restricted, view or edit',
});
export type GeneralAccess = z.infer<typeof GeneralAccess>;

/** Roles on a document, strongest first: owner > editor > viewer [A2]. */
export const Role = z.enum(['owner', 'editor', 'viewer']);
export type Role = z.infer<typeof Role>;

/** The roles a share link can grant. */
export const LinkRole = z.enum(['editor', 'viewer'], { error: 'a link grants editor or viewer' });
export type LinkRole = z.infer<typeof LinkRole>;

/** The secret of a share link, as it appears in the document's address (`?key=`). */
export const LinkKey = z
  .string({ error: 'link key must be a string' })
  .regex(/^[A-Za-z0-9_-]{16,64}$/, { error: 'link key is not valid' });

/** The public name of a principal: the prefix of every clientId it uses (`${authorId}.${anything}`) [A4]. */
export const AuthorId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);

export const DisplayName = z.string().trim().min(1).max(64);
export const DisplayColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'color must be #rrggbb' });

/** `session.me`: who the server says the caller is. */
export const Me = z.object({
  authorId: AuthorId,
  kind: z.enum(['session', 'user', 'service', 'anonymous']),
  /** Undefined until the person picked one (browser sessions ask once). */
  name: DisplayName.nullable(),
  color: DisplayColor.nullable(),
});
export type Me = z.infer<typeof Me>;

export const ProfileInput = z.strictObject({ name: DisplayName, color: DisplayColor });
export type ProfileInput = z.infer<typeof ProfileInput>;

export const AccessRef = z.strictObject({ id: DocumentId, key: LinkKey.optional() });

/** What the caller may do on a document; the owner also sees the share settings. */
export const AccessInfo = z.object({
  id: DocumentId,
  role: Role,
  generalAccess: GeneralAccess,
  /** The link keys; only the owner sees them (null: no such link). */
  links: z.object({ viewer: LinkKey.nullable(), editor: LinkKey.nullable() }).nullable(),
});
export type AccessInfo = z.infer<typeof AccessInfo>;

export const SetGeneralAccessInput = z.strictObject({ id: DocumentId, generalAccess: GeneralAccess });
export const LinkInput = z.strictObject({ id: DocumentId, role: LinkRole });

/** Is `clientId` one of `authorId`'s? [A4] */
export function clientIdBelongsTo(clientId: string, authorId: string): boolean {
  return clientId.length > authorId.length + 1 && clientId.startsWith(`${authorId}.`);
}
