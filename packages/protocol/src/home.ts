import { z } from 'zod';
import { AccessRef, Role } from './access.js';
import { DocumentId } from './ids.js';

/** A title set by renaming; an empty one goes back to the first line of the document [H3]. */
export const DocumentTitle = z
  .string({ error: 'title must be a string' })
  .trim()
  .max(200, { error: 'a title is at most 200 characters' });

/** `home.list`: the caller's documents, most recently edited first, or the caller's trash [H3]. */
export const HomeListInput = z.strictObject({
  search: z.string().trim().max(200).optional(),
  trash: z.boolean().optional(),
  limit: z.number().int().min(1).max(500).optional(),
});
export type HomeListInput = z.infer<typeof HomeListInput>;

/** One document of the home list, or the title of an open document. */
export const HomeDocument = z.object({
  id: DocumentId,
  /** The title set by a rename, else the first line ("" for an empty document). */
  title: z.string(),
  /** Whether `title` was set by a rename rather than taken from the first line. */
  titleSet: z.boolean(),
  /** The caller owns it; otherwise it was shared with the caller (who opened it). */
  owned: z.boolean(),
  /** Epoch milliseconds of the last edit (creation when never edited). */
  lastEditAt: z.number(),
  /** Who made the last edit, when known. */
  lastEditor: z.string().nullable(),
  /** Epoch milliseconds it went to the trash; null when it is not in the trash. */
  trashedAt: z.number().nullable(),
});
export type HomeDocument = z.infer<typeof HomeDocument>;

export const HomeList = z.object({ documents: z.array(HomeDocument), total: z.number() });
export type HomeList = z.infer<typeof HomeList>;

export const RenameInput = AccessRef.extend({ title: DocumentTitle });
export const HomeRef = z.strictObject({ id: DocumentId });

/** `home.open`: the caller opened the document (it joins their list); its title and the caller's role. */
export const OpenedDocument = HomeDocument.extend({ role: Role });
export type OpenedDocument = z.infer<typeof OpenedDocument>;
