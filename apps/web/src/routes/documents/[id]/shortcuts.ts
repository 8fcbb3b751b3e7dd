import type Quill from 'quill';
import type { Range } from 'quill';

/** What a Quill keyboard handler is called on. */
interface KeyboardModule {
  readonly quill: Quill;
}

interface Context {
  readonly prefix: string;
  readonly format: Record<string, unknown>;
}

type Handler = (this: KeyboardModule, range: Range, context: Context) => boolean;

interface Binding {
  readonly key: string | number;
  readonly ctrlKey?: boolean;
  readonly shiftKey?: boolean;
  readonly altKey?: boolean;
  readonly collapsed?: boolean;
  readonly prefix?: RegExp;
  readonly handler: Handler;
}

/** Key codes of the digit keys: with Shift or Alt held, `event.key` is another character on most layouts. */
const digitCode = (digit: number) => 48 + digit;

function redo(this: KeyboardModule): boolean {
  this.quill.history.redo();
  return false;
}

/** Sets a line format on the selected lines, or removes it when they already have that value. */
function toggleLine(name: string, value: unknown): Handler {
  return function (this: KeyboardModule, range, context) {
    const next = context.format[name] === value ? false : value;
    this.quill.formatLine(range.index, range.length, name, next, 'user');
    return false;
  };
}

/** `# `, `## `, `### `, `> ` and ```` ``` ```` typed at the start of a line format it (Markdown style). */
const markdownBlock: Handler = function (this: KeyboardModule, range, context) {
  const marker = context.prefix;
  const start = range.index - marker.length;
  const [name, value] =
    marker === '>'
      ? ['blockquote', true]
      : marker === '```'
        ? ['code-block', true]
        : ['header', marker.length];
  this.quill.deleteText(start, marker.length, 'user');
  this.quill.formatLine(start, 1, name, value, 'user');
  this.quill.setSelection(start, 0, 'silent');
  return false;
};

/**
 * The keyboard shortcuts people expect from a word processor [H5], on every OS (Ctrl, also on a Mac):
 * Ctrl+Y and Ctrl+Shift+Z redo, Ctrl+Alt+1–3 headings, Ctrl+Shift+7/8 numbered and bulleted lists,
 * and Markdown-style block shortcuts.
 */
export const shortcutBindings: Record<string, Binding> = {
  redoY: { key: 'y', ctrlKey: true, handler: redo },
  redoShiftZ: { key: 'Z', ctrlKey: true, shiftKey: true, handler: redo },
  heading1: { key: digitCode(1), ctrlKey: true, altKey: true, handler: toggleLine('header', 1) },
  heading2: { key: digitCode(2), ctrlKey: true, altKey: true, handler: toggleLine('header', 2) },
  heading3: { key: digitCode(3), ctrlKey: true, altKey: true, handler: toggleLine('header', 3) },
  numberedList: { key: digitCode(7), ctrlKey: true, shiftKey: true, handler: toggleLine('list', 'ordered') },
  bulletedList: { key: digitCode(8), ctrlKey: true, shiftKey: true, handler: toggleLine('list', 'bullet') },
  markdownBlock: { key: ' ', collapsed: true, prefix: /^(#{1,3}|>|```)$/, handler: markdownBlock },
};
