import { type DeltaJson, editorFormats } from '@collab/protocol';

/** Largest file accepted for import; the server's document limit still applies to the result. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

export type ImportKind = 'docx' | 'markdown' | 'html';

const KINDS: Record<string, ImportKind> = {
  docx: 'docx',
  md: 'markdown',
  markdown: 'markdown',
  html: 'html',
  htm: 'html',
};

/** What a file is, by its extension; undefined when it cannot be imported. */
export function importKindOf(fileName: string): ImportKind | undefined {
  const extension = fileName.toLowerCase().split('.').pop() ?? '';
  return KINDS[extension];
}

/** The file as HTML, with maintained converters: mammoth for Word, marked for Markdown. */
export async function fileToHtml(file: File, kind: ImportKind): Promise<string> {
  if (kind === 'docx') {
    const { default: mammoth } = await import('mammoth');
    const result = await mammoth.convertToHtml({ arrayBuffer: await file.arrayBuffer() });
    return result.value;
  }
  const text = await file.text();
  if (kind === 'markdown') {
    const { marked } = await import('marked');
    return marked.parse(text, { async: false, gfm: true });
  }
  return text;
}

/**
 * HTML as a document [D1], through Quill's own clipboard: only formats the editor knows survive, and
 * scripts never run (the HTML is parsed, not rendered).
 */
export async function htmlToDocument(html: string): Promise<DeltaJson> {
  const { default: Quill } = await import('quill');
  const quill = new Quill(document.createElement('div'), { formats: [...editorFormats] });
  const delta = quill.clipboard.convert({ html });
  const ops = delta.ops as DeltaJson['ops'];
  const last = ops.at(-1);
  const endsWithNewline =
    last !== undefined && 'insert' in last && typeof last.insert === 'string' && last.insert.endsWith('\n');
  return { ops: endsWithNewline ? ops : [...ops, { insert: '\n' }] };
}
