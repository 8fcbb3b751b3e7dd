/** Reading the README's tables: the rows of the first table after a heading, cells trimmed. */
export function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start === -1) throw new Error(`README has no heading "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    rows.push(splitRow(line));
  }
  // The header row and the |---| separator are not data.
  return rows.slice(2);
}

function splitRow(line: string): string[] {
  // `\|` inside a cell is a literal bar.
  return line
    .slice(1, line.lastIndexOf('|'))
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll('\\|', '|'));
}

/** The text of each `code span` in a cell, in order. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
}

/** Top-level field names of a `{ a, b?, c: { … } }` shape as written in the README; `?` marks optional. */
export function topLevelFields(shape: string): string[] {
  const inner = shape.trim().replace(/^\{/, '').replace(/\}$/, '');
  const fields: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of inner) {
    if ('{[('.includes(char)) depth++;
    if ('}])'.includes(char)) depth--;
    if (char === ',' && depth === 0) {
      fields.push(current);
      current = '';
    } else current += char;
  }
  fields.push(current);
  return fields.map((field) => (field.split(':')[0] ?? '').trim()).filter((name) => name !== '');
}
