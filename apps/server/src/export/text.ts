import type { Op } from '@collab/protocol';
import { linesOf, textOf } from './lines.js';

/** Plain text: one line per line, list items with their marker and indentation. */
export function toText(ops: readonly Op[]): string {
  const counters: number[] = [];
  return linesOf(ops)
    .map((line) => {
      const list = line.attributes.list;
      const indent = Number(line.attributes.indent ?? 0);
      if (list === undefined) {
        counters.length = 0;
        return textOf(line);
      }
      counters.length = indent + 1;
      counters[indent] = (counters[indent] ?? 0) + 1;
      const marker =
        list === 'ordered'
          ? `${counters[indent]}.`
          : list === 'checked'
            ? '[x]'
            : list === 'unchecked'
              ? '[ ]'
              : '-';
      return `${'  '.repeat(indent)}${marker} ${textOf(line)}`;
    })
    .join('\n')
    .concat('\n');
}
