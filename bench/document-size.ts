/**
 * Server CPU per op by document size [L1]: the commit path of a document session run in-process (the
 * bounds check, the rebase over the op committed since the edit's base, validation, `keepFinalNewline`,
 * apply, the size check) while two people type one character each at random places, into a 1 KB and a
 * 1 MB document; then the largest paste a submit may carry (MAX_DELTA_OPS ops) into the 1 MB document.
 * Each runs on the flat Delta a session used to hold (every commit composes the op into the whole
 * document, as `normalizeDocument(doc.compose(op))`) and on the `DocumentTree` it holds now. Prints
 * numbers, asserts nothing: `node --conditions=source --import tsx document-size.ts`.
 */
import {
  type AttributeMap,
  Delta,
  DocumentTree,
  keepFinalNewline,
  normalizeDocument,
  rebase,
  validateChange,
  validateChangeBounds,
} from '@collab/ot';
import { fmt, percentile } from './figures.js';

/** The server's defaults (MAX_DOCUMENT_BYTES, MAX_DELTA_OPS). */
const maxDocumentBytes = 10 * 1024 * 1024;
const maxDeltaOps = 50_000;
const keystrokes = Number(process.env.KEYSTROKES ?? 500);

let seed = 7;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

const inlineFormats: (AttributeMap | undefined)[] = [
  undefined,
  undefined,
  { bold: true },
  { italic: true },
  { link: 'https://example.com/a' },
  { color: '#e60000' },
];
const lineFormats: (AttributeMap | undefined)[] = [
  undefined,
  undefined,
  undefined,
  { header: 2 },
  { list: 'bullet' },
];

/** Formatted text of about `chars` characters: runs of 10–40 characters, a line break every ~80 (~24 chars an op). */
function formattedText(chars: number): Delta {
  const delta = new Delta();
  let length = 0;
  let line = 0;
  while (length < chars) {
    const run = 10 + random(30);
    delta.insert(
      'lorem ipsum dolor sit amet consectetur '.slice(0, run),
      inlineFormats[random(inlineFormats.length)],
    );
    length += run;
    line += run;
    if (line > 80) {
      delta.insert('\n', lineFormats[random(lineFormats.length)]);
      length += 1;
      line = 0;
    }
  }
  return delta;
}

const documentOf = (chars: number) => normalizeDocument(formattedText(chars).insert('\n'));

/** One commit's work on a session's document, given the op and what was committed since its base. */
interface Session<D> {
  length(doc: D): number;
  commit(doc: D, change: Delta, since: readonly Delta[]): D;
}

const flat: Session<Delta> = {
  length: (doc) => doc.length(),
  commit(doc, change, since) {
    const lengthAtBase = since.reduce((length, op) => length - op.changeLength(), doc.length());
    if (validateChangeBounds(change, lengthAtBase)) throw new Error('out of bounds');
    const rebased = rebase(
      change,
      since.map((delta) => ({ delta, clientId: 'a' })),
      'b',
    );
    // What validation and keepFinalNewline read of a flat document: its length, walked op by op.
    if (validateChangeBounds(rebased, doc.length()) || doc.length() < 1) throw new Error('invalid');
    const next = normalizeDocument(doc.compose(rebased));
    // The size check: exact (a serialisation) once the document is within reach of the limit.
    if (next.length() * 4 >= maxDocumentBytes || next.ops.length * 256 >= maxDocumentBytes) {
      if (Buffer.byteLength(JSON.stringify(next.ops)) > maxDocumentBytes) throw new Error('too large');
    }
    return next;
  },
};

const tree: Session<DocumentTree> = {
  length: (doc) => doc.length(),
  commit(doc, change, since) {
    const lengthAtBase = since.reduce((length, op) => length - op.changeLength(), doc.length());
    if (validateChangeBounds(change, lengthAtBase)) throw new Error('out of bounds');
    const rebased = rebase(
      change,
      since.map((delta) => ({ delta, clientId: 'a' })),
      'b',
    );
    if (validateChange(rebased, doc)) throw new Error('invalid');
    const next = doc.apply(keepFinalNewline(doc, rebased));
    if (next.jsonBytes() > maxDocumentBytes) throw new Error('too large');
    return next;
  },
};

/** CPU milliseconds of `run` (one thread: user + system time of the process). */
function cpuMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Two people typing one character each in turn, each edit made before seeing the other's last one. */
function typing<D>(session: Session<D>, start: D): number[] {
  let doc = start;
  let previous = new Delta().retain(1).insert('x');
  doc = session.commit(doc, previous, []);
  const costs: number[] = [];
  for (let i = 0; i < keystrokes; i++) {
    // Made on the version before `previous`: rebased over it.
    const at = random(session.length(doc) - 1);
    const change = new Delta().retain(at).insert(i % 2 === 0 ? 'y' : 'z');
    costs.push(
      cpuMs(() => {
        doc = session.commit(doc, change, [previous]);
      }),
    );
    previous = change;
  }
  return costs;
}

function paste<D>(session: Session<D>, start: D, text: Delta): number {
  const change = new Delta().retain(Math.floor(session.length(start) / 2)).concat(text);
  return cpuMs(() => session.commit(start, change, []));
}

const sizes = [
  { name: '1 KB', chars: 1_000 },
  { name: '1 MB', chars: 1_000_000 },
];
console.log(
  `document size: server CPU per op on the commit path, ${keystrokes} keystrokes by two people (in-process)`,
);
console.log('  document            ops   flat Delta p50 / p99 / mean   DocumentTree p50 / p99 / mean (ms)');
const documents = new Map<string, Delta>();
for (const { name, chars } of sizes) {
  const doc = documentOf(chars);
  documents.set(name, doc);
  const before = typing(flat, doc);
  const after = typing(tree, DocumentTree.fromDelta(doc));
  const figures = (costs: number[]) =>
    `${fmt(percentile(costs, 50), 3)} / ${fmt(percentile(costs, 99), 3)} / ${fmt(costs.reduce((a, b) => a + b, 0) / costs.length, 3)}`;
  console.log(
    `  ${name.padEnd(8)} ${String(doc.ops.length).padStart(10)}   ${figures(before).padEnd(28)}  ${figures(after)}`,
  );
}

// The largest paste a submit may carry: MAX_DELTA_OPS ops of formatted text.
let pasted = formattedText(maxDeltaOps * 30);
pasted = new Delta(pasted.ops.slice(0, maxDeltaOps));
const big = documents.get('1 MB') as Delta;
const loadMs = cpuMs(() => DocumentTree.fromDelta(big));
console.log(
  `largest paste (${pasted.ops.length} ops, ${pasted.length()} characters) into the 1 MB document: flat Delta ${fmt(paste(flat, big, pasted))} ms, DocumentTree ${fmt(paste(tree, DocumentTree.fromDelta(big), pasted))} ms`,
);
const loaded = DocumentTree.fromDelta(big);
console.log(
  `1 MB document as a tree: built in ${fmt(loadMs)} ms; serialised (first read of a version) in ${fmt(cpuMs(() => loaded.toDelta()))} ms`,
);
