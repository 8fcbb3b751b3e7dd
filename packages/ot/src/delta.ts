import QuillDelta from 'quill-delta';

export type { AttributeMap, Op } from 'quill-delta';

/**
 * quill-delta ships CommonJS whose typings declare an ES default export. Under NodeNext the default
 * import is typed as the module object, so the class is taken from `.default` (which quill-delta also
 * sets at runtime). Every package imports `Delta` from here, so there is one copy and one type.
 */
export const Delta = QuillDelta.default;
export type Delta = QuillDelta.default;
