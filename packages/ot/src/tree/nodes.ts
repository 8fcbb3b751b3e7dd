import { appendRun, joins, type Run, splitRun } from './runs.js';

/*
 * A persistent treap of runs in document order: every node holds one run and the totals of its subtree.
 * Nodes never change once made, so an edit copies only the paths it touches (O(log n) nodes) and every
 * earlier version of a document stays valid and shares the rest. Random priorities keep the tree
 * balanced in expectation, whatever the order of edits.
 */

export interface Node {
  readonly left: Node | undefined;
  readonly run: Run;
  readonly right: Node | undefined;
  readonly priority: number;
  /** Characters and embeds in the subtree. */
  readonly length: number;
  /** Sum of the runs' `bytes`. */
  readonly bytes: number;
  /** Ops the subtree serialises to (adjacent runs of one op count once). */
  readonly ops: number;
  /** Sum of those ops' `overhead`. */
  readonly overhead: number;
  readonly first: Run;
  readonly last: Run;
}

export type Tree = Node | undefined;

function node(left: Tree, run: Run, right: Tree, priority: number): Node {
  let ops = 1;
  let overhead = run.overhead;
  if (left !== undefined) {
    ops += left.ops;
    overhead += left.overhead;
    if (joins(left.last, run)) {
      ops--;
      overhead -= run.overhead;
    }
  }
  if (right !== undefined) {
    ops += right.ops;
    overhead += right.overhead;
    if (joins(run, right.first)) {
      ops--;
      overhead -= right.first.overhead;
    }
  }
  return {
    left,
    run,
    right,
    priority,
    length: (left?.length ?? 0) + run.length + (right?.length ?? 0),
    bytes: (left?.bytes ?? 0) + run.bytes + (right?.bytes ?? 0),
    ops,
    overhead,
    first: left?.first ?? run,
    last: right?.last ?? run,
  };
}

/** The first `index` positions and the rest. */
export function split(tree: Tree, index: number): [Tree, Tree] {
  if (tree === undefined) return [undefined, undefined];
  if (index <= 0) return [undefined, tree];
  if (index >= tree.length) return [tree, undefined];
  const leftLength = tree.left?.length ?? 0;
  const runEnd = leftLength + tree.run.length;
  if (index <= leftLength) {
    const [before, after] = split(tree.left, index);
    return [before, node(after, tree.run, tree.right, tree.priority)];
  }
  if (index >= runEnd) {
    const [before, after] = split(tree.right, index - runEnd);
    return [node(tree.left, tree.run, before, tree.priority), after];
  }
  // Inside a text run (an embed has length 1): each half keeps the node's place in the heap order.
  const [head, tail] = splitRun(tree.run, index - leftLength);
  return [node(tree.left, head, undefined, tree.priority), node(undefined, tail, tree.right, tree.priority)];
}

/** Every position of `a`, then every position of `b`, as the runs stand. */
function merge(a: Tree, b: Tree): Tree {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.priority > b.priority) return node(a.left, a.run, merge(a.right, b), a.priority);
  return node(merge(a, b.left), b.run, b.right, b.priority);
}

/**
 * `a` followed by `b`, with the two runs that meet joined when they are one op and fit in one run (or
 * would split a surrogate pair), so that edits do not leave ever smaller runs behind.
 */
export function concat(a: Tree, b: Tree): Tree {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const runs = [a.last];
  appendRun(runs, b.first);
  if (runs.length === 2 && runs[1] === b.first) return merge(a, b);
  const [before] = split(a, a.length - a.last.length);
  const [, after] = split(b, b.first.length);
  return merge(merge(before, build(runs)), after);
}

/**
 * A balanced tree of `runs` in O(k). Each node's priority is drawn as the largest of as many random
 * numbers as its subtree has nodes, below its parent's (`bound · u^(1/m)`), so the heap order holds and
 * the priorities are distributed as in any treap of random priorities, which later edits extend.
 */
export function build(runs: readonly Run[]): Tree {
  const make = (from: number, to: number, bound: number): Tree => {
    if (from >= to) return undefined;
    const middle = (from + to) >>> 1;
    const priority = bound * Math.random() ** (1 / (to - from));
    return node(make(from, middle, priority), runs[middle] as Run, make(middle + 1, to, priority), priority);
  };
  return make(0, runs.length, 1);
}

/** The runs in document order. */
export function runsOf(tree: Tree): Run[] {
  const runs: Run[] = [];
  const stack: Node[] = [];
  let current = tree;
  while (current !== undefined || stack.length > 0) {
    while (current !== undefined) {
      stack.push(current);
      current = current.left;
    }
    const next = stack.pop() as Node;
    runs.push(next.run);
    current = next.right;
  }
  return runs;
}

/**
 * The runs from the one holding `index` (0 <= index < length) to the end, each with the position it
 * starts at. Nothing is copied: a walk that stops early costs the depth of the tree plus the runs it saw.
 */
export function* runsFrom(tree: Tree, index: number): Generator<readonly [Run, number]> {
  /** Nodes whose run comes next, each with the position its run starts at. */
  const stack: Array<readonly [Node, number]> = [];
  const descend = (from: Tree, start: number) => {
    for (let node = from; node !== undefined; node = node.left) {
      stack.push([node, start + (node.left?.length ?? 0)]);
    }
  };
  let current = tree;
  let start = 0;
  while (current !== undefined) {
    const runStart = start + (current.left?.length ?? 0);
    if (index >= runStart + current.run.length) {
      start = runStart + current.run.length;
      current = current.right;
      continue;
    }
    stack.push([current, runStart]);
    current = index < runStart ? current.left : undefined;
  }
  while (stack.length > 0) {
    const [node, runStart] = stack.pop() as readonly [Node, number];
    yield [node.run, runStart];
    descend(node.right, runStart + node.run.length);
  }
}

/**
 * The runs before position `index` (0 < index <= length), last first, each with the position it starts
 * at; the first one may reach past `index`. Nothing is copied, as in `runsFrom`.
 */
export function* runsBefore(tree: Tree, index: number): Generator<readonly [Run, number]> {
  const stack: Array<readonly [Node, number]> = [];
  const descend = (from: Tree, end: number) => {
    for (let node = from; node !== undefined; node = node.right) {
      stack.push([node, end - (node.right?.length ?? 0) - node.run.length]);
    }
  };
  let current = tree;
  let start = 0;
  while (current !== undefined) {
    const runStart = start + (current.left?.length ?? 0);
    if (index <= runStart) {
      current = current.left;
      continue;
    }
    stack.push([current, runStart]);
    start = runStart + current.run.length;
    current = index > start ? current.right : undefined;
  }
  while (stack.length > 0) {
    const [node, runStart] = stack.pop() as readonly [Node, number];
    yield [node.run, runStart];
    descend(node.left, runStart);
  }
}

/** The run holding position `index` (0 <= index < length) and the offset of `index` in it. */
export function runAt(tree: Node, index: number): { run: Run; offset: number } {
  let current = tree;
  let at = index;
  for (;;) {
    const leftLength = current.left?.length ?? 0;
    if (at < leftLength) current = current.left as Node;
    else if (at < leftLength + current.run.length) return { run: current.run, offset: at - leftLength };
    else {
      at -= leftLength + current.run.length;
      current = current.right as Node;
    }
  }
}
