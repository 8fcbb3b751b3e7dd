import { clientIdBelongsTo, DocumentId, LinkKey, type Role } from '@collab/protocol';
import { Forbidden } from '../domain/errors.js';
import type { TrpcContext } from './context.js';
import { toTrpcError } from './run.js';

/**
 * The role check of a procedure that names a document [A3]: read from the raw input (the id and link key
 * it names), before the input is parsed further or any other work is done. An input without a valid id
 * passes on, to be refused by its schema.
 */
export async function requireDocumentRole(ctx: TrpcContext, raw: unknown, need: Role): Promise<void> {
  const input = (typeof raw === 'object' && raw !== null ? raw : {}) as { id?: unknown; key?: unknown };
  const id = DocumentId.safeParse(input.id);
  const key = input.key === undefined ? undefined : LinkKey.safeParse(input.key);
  if (!id.success || (key && !key.success)) return;
  await ctx.run(ctx.services.access.require(ctx.principal, id.data, key?.data, need), {
    procedure: 'access',
    docId: id.data,
  });
}

/** [A4] a clientId is `${authorId}.${anything}` of the caller's own principal. */
export function requireOwnClientId(ctx: TrpcContext, clientId: string | undefined): void {
  if (clientId === undefined || clientIdBelongsTo(clientId, ctx.principal.authorId)) return;
  throw toTrpcError(
    new Forbidden({
      message: `clientId must start with "${ctx.principal.authorId}." (the caller's authorId; see session.me)`,
    }),
  );
}
