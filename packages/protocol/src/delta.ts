import { z } from 'zod';

/** Attribute values are JSON scalars; `null` removes a format (only meaningful in a retain). */
export const AttributeValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const Attributes = z.record(z.string().min(1).max(64), AttributeValue);

/** An embed is an object with exactly one key (`{ image: url }`, `{ formula: tex }`). */
export const Embed = z
  .record(z.string().min(1).max(64), z.union([z.string(), z.number(), z.boolean()]))
  .refine((value) => Object.keys(value).length === 1, { error: 'an embed must have exactly one key' });

const count = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const InsertOp = z.strictObject({
  insert: z.union([z.string().min(1), Embed]),
  attributes: Attributes.optional(),
});
export const RetainOp = z.strictObject({ retain: count, attributes: Attributes.optional() });
export const DeleteOp = z.strictObject({ delete: count });

const opKinds = ['insert', 'retain', 'delete'] as const;

/** One Quill delta op. Shapes only; whether a delta applies to a document is checked by `@collab/ot`. */
export const Op = z.union([InsertOp, RetainOp, DeleteOp], {
  error: (issue) => {
    const input = issue.input;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return 'an op must be an object with one of insert, retain or delete';
    }
    const kinds = opKinds.filter((kind) => kind in input);
    if (kinds.length === 0) return 'an op must have one of insert, retain or delete';
    if (kinds.length > 1)
      return `an op must have only one of insert, retain or delete, not ${kinds.join(' and ')}`;
    return undefined;
  },
});
export type Op = z.infer<typeof Op>;

/** A Quill delta on the wire: `{ ops: [...] }`. */
export const DeltaJson = z.strictObject({ ops: z.array(Op) });
export type DeltaJson = z.infer<typeof DeltaJson>;
