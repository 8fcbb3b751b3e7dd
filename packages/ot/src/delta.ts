import QuillDelta from 'quill-delta';

export type { AttributeMap, Op } from 'quill-delta';

/** The class itself, whether the resolver types the default import as the module or as the class. */
type DeltaConstructor = typeof QuillDelta extends { default: infer C } ? C : typeof QuillDelta;

/**
 * quill-delta ships CommonJS whose typings declare an ES default export: under NodeNext the default import
 * is typed as the module object, under bundler resolution as the class. At runtime the module is the
 * class and also carries it as `.default`. Every package imports `Delta` from here: one copy, one type.
 */
export const Delta: DeltaConstructor = ((QuillDelta as { default?: unknown }).default ??
  QuillDelta) as DeltaConstructor;
export type Delta = InstanceType<DeltaConstructor>;
