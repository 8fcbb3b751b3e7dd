import type Quill from 'quill';
import type { Delta } from 'quill';

type Op = Delta['ops'][number];

interface EditorInternals {
  readonly scroll: { lines(): { delta(): Delta }[] };
  getDelta(): Delta;
}

/**
 * Quill 2 keeps a copy of the whole document as a delta, and rebuilds it after every change it does not
 * follow character by character: every remote change, every new line, every format. It concatenates the
 * lines' deltas one after the other, each concatenation copying all the ops before it: quadratic, a fifth
 * of a second for a megabyte, on every op another person makes. This builds the very same delta in one
 * pass: each line's first op is pushed (merged with the op before it, as concatenating does), the others
 * appended as they are.
 */
export function buildDocumentDeltaInOnePass(quill: Quill, QuillClass: typeof Quill): void {
  const DeltaClass = QuillClass.import('delta') as typeof Delta;
  const editor = quill.editor as unknown as EditorInternals;
  editor.getDelta = () => {
    const delta = new DeltaClass();
    for (const line of editor.scroll.lines()) {
      const ops = line.delta().ops;
      const first = ops[0];
      if (first === undefined) continue;
      delta.push(first);
      for (let i = 1; i < ops.length; i++) delta.ops.push(ops[i] as Op);
    }
    return delta;
  };
}
