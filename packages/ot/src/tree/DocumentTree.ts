import { type AttributeMap, Delta, type Op } from '../delta.js';
import { build, concat, type Node, runAt, runsBefore, runsFrom, runsOf, split, type Tree } from './nodes.js';
import { appendRun, canonicalAttributes, composeAttributes, makeRun, type Run, textRuns } from './runs.js';

/**
 * [D1] A document as a balanced tree of runs, so that applying a change costs O(change · log n) rather
 * than the size of the document: an open document on the server and each client's copy are held this
 * way. Immutable: `apply` returns a new tree sharing all but the paths it touched, so keeping an older
 * version costs nothing. The Delta (`toDelta`) is built when first asked for, then kept.
 */
export class DocumentTree {
  readonly #root: Node;
  #delta: Delta | undefined;

  private constructor(root: Node, delta?: Delta) {
    this.#root = root;
    this.#delta = delta;
  }

  /** The tree of a document (see `validateDocument`); it need not be in canonical form. */
  static fromDelta(document: Delta): DocumentTree {
    const runs: Run[] = [];
    for (const op of document.ops) {
      if (op.insert === undefined || op.insert === '') continue;
      const attributes = canonicalAttributes(op.attributes);
      if (typeof op.insert === 'string')
        for (const run of textRuns(op.insert, attributes)) appendRun(runs, run);
      else runs.push(makeRun(op.insert, attributes));
    }
    const root = build(runs);
    if (root === undefined) throw new Error('a document is never empty (it ends in "\\n")');
    return new DocumentTree(root);
  }

  /** [D1] Every character and embed, the final "\n" too. */
  length(): number {
    return this.#root.length;
  }

  /**
   * The result of a change that passed `validateChange`: exactly `normalizeDocument(doc.compose(change))`,
   * in O(change · log n) (a format over a range also visits the runs in it).
   */
  apply(change: Delta): DocumentTree {
    let rest: Tree = this.#root;
    let done: Tree;
    // Consecutive inserts (a paste is thousands of them) become one balanced tree, built in one pass.
    let inserted: Run[] = [];
    const flush = () => {
      if (inserted.length === 0) return;
      done = concat(done, build(inserted));
      inserted = [];
    };
    for (const op of change.ops) {
      if (op.insert !== undefined) {
        const attributes = canonicalAttributes(op.attributes);
        if (typeof op.insert !== 'string') appendRun(inserted, makeRun(op.insert, attributes));
        else for (const run of textRuns(op.insert, attributes)) appendRun(inserted, run);
        continue;
      }
      flush();
      if (typeof op.delete === 'number') {
        rest = split(rest, op.delete)[1];
      } else if (typeof op.retain === 'number') {
        const [retained, after] = split(rest, op.retain);
        rest = after;
        done = concat(done, op.attributes === undefined ? retained : format(retained, op.attributes));
      }
    }
    flush();
    const root = concat(done, rest);
    if (root === undefined) throw new Error('the change would leave the document empty');
    return new DocumentTree(root);
  }

  /** The canonical Delta of the document, as `normalizeDocument` writes it; built once, on first use. */
  toDelta(): Delta {
    this.#delta ??= toDelta(runsOf(this.#root));
    return this.#delta;
  }

  /** The insert at `index` (0 <= index < length): a one-character string or an embed. */
  insertAt(index: number): string | Record<string, unknown> {
    const { run, offset } = runAt(this.#root, index);
    return typeof run.insert === 'string' ? run.insert.charAt(offset) : run.insert;
  }

  /** The formats at `index` (0 <= index < length); undefined when plain. */
  attributesAt(index: number): AttributeMap | undefined {
    return runAt(this.#root, index).run.attributes;
  }

  /** The positions `from` to `to` (exclusive) as a Delta of inserts; O(log n + the runs in it). */
  slice(from: number, to: number): Delta {
    const [before] = split(this.#root, to);
    return toDelta(runsOf(split(before, from)[1]));
  }

  /**
   * Where the line holding `index` starts: just after the "\n" before it, or 0. Costs the runs between
   * the two, plus the depth of the tree.
   */
  lineStart(index: number): number {
    if (index <= 0) return 0;
    for (const [run, start] of runsBefore(this.#root, index)) {
      const before = Math.min(run.length, index - start);
      if (typeof run.insert !== 'string' || before <= 0) continue;
      const newline = run.insert.lastIndexOf('\n', before - 1);
      if (newline !== -1) return start + newline + 1;
    }
    return 0;
  }

  /**
   * The position of the "\n" that ends the line holding `index`. Costs the runs between the two, plus the
   * depth of the tree.
   */
  lineEnd(index: number): number {
    for (const [run, start] of runsFrom(this.#root, index)) {
      if (typeof run.insert !== 'string') continue;
      const newline = run.insert.indexOf('\n', Math.max(0, index - start));
      if (newline !== -1) return start + newline;
    }
    return this.length() - 1;
  }

  /** UTF-8 bytes of `JSON.stringify(toDelta().ops)`, known without serialising. */
  jsonBytes(): number {
    const root = this.#root;
    return 2 + root.bytes + root.overhead + (root.ops - 1);
  }
}

/** The runs of `tree` with `change` composed into their formats. */
function format(tree: Tree, change: AttributeMap): Tree {
  const runs: Run[] = [];
  for (const run of runsOf(tree)) {
    appendRun(runs, makeRun(run.insert, composeAttributes(run.attributes, change)));
  }
  return build(runs);
}

function toDelta(runs: readonly Run[]): Delta {
  const ops: Op[] = [];
  let text: string[] = [];
  let previous: Run | undefined;
  const flush = () => {
    if (previous === undefined || text.length === 0) return;
    const insert = text.join('');
    ops.push(previous.attributes ? { insert, attributes: previous.attributes } : { insert });
    text = [];
  };
  for (const run of runs) {
    if (typeof run.insert === 'string') {
      if (previous !== undefined && (typeof previous.insert !== 'string' || previous.key !== run.key))
        flush();
      text.push(run.insert);
    } else {
      flush();
      ops.push(run.attributes ? { insert: run.insert, attributes: run.attributes } : { insert: run.insert });
    }
    previous = run;
  }
  flush();
  return new Delta(ops);
}

/** A document as a tree: itself when it is one, else built from the Delta (O(n)). */
export function asTree(document: DocumentTree | Delta): DocumentTree {
  return document instanceof DocumentTree ? document : DocumentTree.fromDelta(document);
}
