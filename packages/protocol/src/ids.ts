import { z } from 'zod';

/** [D3] Document ids are URL-safe: letters, digits, `_` and `-`, 1 to 128 characters (the seed's UUIDs fit). */
export const DocumentId = z
  .string({ error: 'document id must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,128}$/, {
    error: 'document id must be 1-128 characters of letters, digits, "_" or "-"',
  })
  .brand<'DocumentId'>();
export type DocumentId = z.infer<typeof DocumentId>;

/**
 * Identifies one editing session of one client; with `seq` it names an op across reconnects [C3]. It is
 * `${authorId}.${anything}`: the server refuses a clientId under another principal's authorId [A4].
 */
export const ClientId = z
  .string({ error: 'client id must be a string' })
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/, {
    error: 'client id must be 1-64 characters of letters, digits, "_", "-" or "."',
  })
  .brand<'ClientId'>();
export type ClientId = z.infer<typeof ClientId>;

/** Parses a document id, or returns undefined when it is not one. */
export function parseDocumentId(value: unknown): DocumentId | undefined {
  const result = DocumentId.safeParse(value);
  return result.success ? result.data : undefined;
}
