import type Quill from 'quill';
import type { Delta } from 'quill';

type Op = Delta['ops'][number];
type Attributes = NonNullable<Op['attributes']>;

/** A format as Quill registers it: a blot class, or an attributor (a class or style on a blot's element). */
interface BlotClass {
  create(value?: unknown): Node;
  readonly requiredContainer?: BlotClass;
}
interface Attributor {
  add(node: HTMLElement, value: unknown): boolean;
}

/** The formats that make a line a block of another kind than a paragraph: one at most per line. */
const BLOCK_BLOTS = new Set(['header', 'list', 'blockquote', 'code-block']);
/** Formats of a whole line that are classes on its element. */
const BLOCK_ATTRIBUTORS = new Set(['align', 'indent', 'direction']);

/**
 * Shows a whole document in Quill by building its elements at once and letting Quill read them, as it
 * reads a page's own markup, instead of `setContents`, which inserts and formats op after op and checks
 * the DOM after each step: seconds for a megabyte of formatted text, against a fraction of one this way.
 * The elements are made by Quill's own formats (`create`, the attributors' `add`), so they are what Quill
 * would have made. The result is checked against `ops`: false when it differs or a format is not known
 * here (the caller then uses `setContents`), so what shows is always exactly the document.
 */
export function showDocument(quill: Quill, QuillClass: typeof Quill, ops: readonly Op[]): boolean {
  const built = buildDocument(QuillClass, ops);
  if (!built) return false;
  quill.root.replaceChildren(built);
  // Quill picks the new elements up from its mutation observer, as after a paste; 'silent': this is not an
  // edit of anyone's.
  quill.update('silent');
  return sameOps(quill.getContents().ops, ops);
}

function buildDocument(QuillClass: typeof Quill, ops: readonly Op[]): DocumentFragment | undefined {
  const format = (name: string) => QuillClass.import(`formats/${name}`) as BlotClass | Attributor | undefined;
  const Inline = QuillClass.import('blots/inline') as unknown as BlotClass & { order: string[] };
  const Block = QuillClass.import('blots/block') as unknown as BlotClass;
  const Break = QuillClass.import('blots/break') as unknown as BlotClass;
  const fragment = document.createDocumentFragment();
  let line: Node[] = [];
  /** The container (list, code block) the previous line went into, and its kind. */
  let container: { element: Node; kind: BlotClass } | undefined;

  const inline = (content: Node, attributes: Attributes | undefined): Node | undefined => {
    if (!attributes) return content;
    let node = content;
    const attributors: [Attributor, unknown][] = [];
    // Innermost first, in Quill's own nesting order, so it has nothing to rearrange.
    const names = Object.keys(attributes).sort((a, b) => Inline.order.indexOf(a) - Inline.order.indexOf(b));
    for (const name of names) {
      const value = attributes[name];
      if (value === null || value === undefined || value === false) continue;
      if (BLOCK_BLOTS.has(name) || BLOCK_ATTRIBUTORS.has(name)) return undefined;
      const kind = format(name);
      if (!kind) return undefined;
      if ('add' in kind) {
        attributors.push([kind, value]);
        continue;
      }
      const wrapper = kind.create(value);
      wrapper.appendChild(node);
      node = wrapper;
    }
    if (attributors.length > 0) {
      if (!(node instanceof HTMLElement)) {
        const span = Inline.create();
        span.appendChild(node);
        node = span;
      }
      for (const [attributor, value] of attributors) {
        if (!attributor.add(node as HTMLElement, value)) return undefined;
      }
    }
    return node;
  };

  const endLine = (attributes: Attributes | undefined): boolean => {
    let kind = Block;
    let kindValue: unknown;
    const attributors: [Attributor, unknown][] = [];
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === null || value === undefined || value === false) continue;
      const found = format(name);
      if (!found) return false;
      if (BLOCK_BLOTS.has(name) && !('add' in found)) {
        if (kind !== Block) return false;
        kind = found;
        kindValue = value;
      } else if (BLOCK_ATTRIBUTORS.has(name) && 'add' in found) {
        attributors.push([found, value]);
      } else {
        return false;
      }
    }
    const element = kind.create(kindValue) as HTMLElement;
    for (const [attributor, value] of attributors) if (!attributor.add(element, value)) return false;
    element.append(...(line.length > 0 ? line : [Break.create()]));
    line = [];
    const Container = kind.requiredContainer;
    if (!Container) {
      container = undefined;
      fragment.appendChild(element);
      return true;
    }
    if (container?.kind !== Container) {
      container = { element: Container.create(), kind: Container };
      fragment.appendChild(container.element);
    }
    container.element.appendChild(element);
    return true;
  };

  for (const op of ops) {
    if (typeof op.insert === 'string') {
      const pieces = op.insert.split('\n');
      for (const [index, piece] of pieces.entries()) {
        if (index > 0 && !endLine(op.attributes)) return undefined;
        if (piece === '') continue;
        const node = inline(document.createTextNode(piece), op.attributes);
        if (!node) return undefined;
        line.push(node);
      }
    } else if (op.insert && typeof op.insert === 'object') {
      const [name, value] = Object.entries(op.insert)[0] ?? [];
      const kind = name === undefined ? undefined : format(name);
      if (!kind || 'add' in kind) return undefined;
      const node = inline(kind.create(value), op.attributes);
      if (!node) return undefined;
      line.push(node);
    } else {
      return undefined;
    }
  }
  // A document ends with a line break; anything after the last one is not a document Quill would keep.
  return line.length === 0 ? fragment : undefined;
}

/** Whether two lists of ops are the same (the order of attributes aside). */
export function sameOps(a: readonly Op[], b: readonly Op[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (!x || !y) return false;
    if (!sameValue(x.insert, y.insert) || !sameValue(x.retain, y.retain) || x.delete !== y.delete)
      return false;
    if (!sameAttributes(x.attributes, y.attributes)) return false;
  }
  return true;
}

/** Equal values; embeds and attribute values that are objects compare by their JSON. */
function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  return typeof x === 'object' && x !== null && typeof y === 'object' && y !== null
    ? JSON.stringify(x) === JSON.stringify(y)
    : false;
}

function sameAttributes(a: Op['attributes'], b: Op['attributes']): boolean {
  const keys = Object.keys(a ?? {});
  if (keys.length !== Object.keys(b ?? {}).length) return false;
  return keys.every((key) => b !== undefined && Object.hasOwn(b, key) && sameValue(a?.[key], b[key]));
}
