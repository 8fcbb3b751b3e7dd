import { ClientDocument, Delta, type IncomingOp, type OutgoingOp } from '@collab/ot';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSimulations, SessionServer } from './simulation.js';

afterAll(closeSimulations);

/*
 * People typing at the same place at the same time. Each typist types a run of characters one per
 * step at its caret, and moves the caret as Quill moves the local selection: past its own insert, and
 * through a remote change with `transformPosition(caret, true)` (source 'api'), so a remote insert at
 * exactly the caret lands after it. Ties between concurrent inserts at one index are then decided on
 * every keystroke: if they were decided by commit order the runs would interleave; decided by a fixed
 * order of authors [C1], every run stays contiguous, and everyone converges [C5].
 */

/** Distinct alphabets, so each typist's characters can be found in the final text. */
const alphabets = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789!#$%&*+-=?@^_~'];

class Typist {
  readonly doc: ClientDocument;
  /** The caret in `doc.contents` coordinates. */
  caret: number;
  readonly up: OutgoingOp[] = [];
  readonly down: IncomingOp[] = [];
  #typed = 0;

  constructor(
    readonly server: SessionServer,
    clientId: string,
    caret: number,
    readonly run: string,
  ) {
    this.doc = new ClientDocument({ clientId, version: server.version, contents: server.document });
    this.caret = caret;
    server.subscribe((op) => this.down.push(op));
  }

  get done(): boolean {
    return this.#typed >= this.run.length;
  }

  /** Types the next character of the run at the caret; the caret moves past it. */
  type(): void {
    const char = this.run[this.#typed];
    if (char === undefined) return;
    this.#typed++;
    this.doc.applyLocal(new Delta().retain(this.caret).insert(char));
    this.caret += 1;
    this.#flush();
  }

  /** Delivers our oldest submission to the server. */
  submit(): void {
    const outgoing = this.up.shift();
    if (outgoing) this.server.submit({ ...outgoing, clientId: this.doc.clientId });
  }

  /** Integrates the oldest committed op; a remote one moves the caret as Quill would. */
  receive(): void {
    const op = this.down.shift();
    if (op === undefined) return;
    const result = this.doc.receive(op);
    if (result.kind === 'remote') this.caret = result.delta.transformPosition(this.caret, true);
    if (result.kind === 'ack') this.#flush();
  }

  get idle(): boolean {
    return this.up.length === 0 && this.down.length === 0;
  }

  #flush(): void {
    const outgoing = this.doc.takeOutgoing();
    if (outgoing) this.up.push(outgoing);
  }
}

type Step = { kind: 'type' | 'submit' | 'receive'; typist: number };

function plainText(doc: Delta): string {
  return doc.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
}

/**
 * Runs the schedule, then lets everyone finish typing (each typist types one character, then each
 * delivers one message each way, so the tail stays concurrent), then delivers everything.
 */
function typeConcurrently(
  initial: string,
  at: number,
  clientIds: readonly string[],
  runs: readonly string[],
) {
  const server = new SessionServer(new Delta().insert(initial));
  const typists = clientIds.map((clientId, i) => new Typist(server, clientId, at, runs[i] as string));
  const step = ({ kind, typist }: Step) => {
    const t = typists[typist % typists.length] as Typist;
    if (kind === 'type') t.type();
    else if (kind === 'submit') t.submit();
    else t.receive();
  };
  const finish = () => {
    for (let round = 0; !typists.every((t) => t.done); round++) {
      if (round > 1000) throw new Error('typing did not finish');
      for (const t of typists) t.type();
      for (const t of typists) t.submit();
      for (const t of typists) t.receive();
    }
    for (let round = 0; !typists.every((t) => t.idle); round++) {
      if (round > 1000) throw new Error('the network did not settle');
      for (const t of typists) {
        while (t.up.length > 0) t.submit();
        while (t.down.length > 0) t.receive();
      }
    }
  };
  return { server, typists, step, finish };
}

/** [C5] converged, and [C1] every run contiguous, in typing order, with its typist's caret right after it. */
function checkRuns(server: SessionServer, typists: readonly Typist[], initial: string): void {
  const text = plainText(server.document);
  for (const t of typists) {
    expect(t.doc.state, t.doc.clientId).toBe('synchronized');
    expect(t.doc.version, t.doc.clientId).toBe(server.version);
    expect(t.doc.contents, t.doc.clientId).toEqual(server.document);
  }
  for (const t of typists) {
    expect(text, `${JSON.stringify(t.doc.clientId)}'s run is contiguous`).toContain(t.run);
    expect(t.caret, `${JSON.stringify(t.doc.clientId)}'s caret`).toBe(text.indexOf(t.run) + t.run.length);
  }
  let rest = text;
  for (const t of typists) rest = rest.replace(t.run, '');
  expect(rest, 'the initial text, around the runs').toBe(initial);
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom<Step['kind']>('type', 'type', 'submit', 'receive'),
  typist: fc.nat({ max: 2 }),
});

const scenarioArb = fc.integer({ min: 2, max: 3 }).chain((count) =>
  fc.record({
    // Random author ids, so the test does not depend on how sessions happen to be named.
    clientIds: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), {
      minLength: count,
      maxLength: count,
    }),
    runs: fc.tuple(
      ...alphabets.slice(0, count).map((alphabet) => fc.integer({ min: 2, max: alphabet.length })),
    ),
    initial: fc.string({ unit: fc.constantFrom('.', ' ', '\n'), maxLength: 6 }).map((text) => `${text}\n`),
    at: fc.nat(),
    steps: fc.array(stepArb, { maxLength: 150 }),
  }),
);

describe('people typing at the same position at the same time', () => {
  it('[C1] regression: two people typing at the end of the document in lockstep keep their sentences whole', () => {
    // Each round: both type a character and send what they may (one op in flight, the rest buffered),
    // grace's submission reaches the server first, and each receives the next committed op. With
    // "committed ops win ties" every keystroke was a new tie won by grace, and the text came out as
    // "Notes:  GArdaac ae ddtys…". The order of the authors decides every tie the same way instead:
    // ada's text before grace's.
    const initial = 'Notes:\n';
    const sim = typeConcurrently(
      initial,
      initial.length - 1,
      ['grace', 'ada'],
      [' Grace types.', ' Ada adds a line at the end.'],
    );
    sim.finish();
    checkRuns(sim.server, sim.typists, initial);
    expect(plainText(sim.server.document)).toBe('Notes: Ada adds a line at the end. Grace types.\n');
  });

  it('[C1] regression: three people typing at one spot, each keystroke committed in a different order', () => {
    const initial = 'ab\n';
    const sim = typeConcurrently(initial, 1, ['c', 'b', 'a'], ['xxxx', 'yyyy', 'zzzz']);
    for (let round = 0; round < 4; round++) {
      for (const t of sim.typists) t.type();
      // Rotate who reaches the server first.
      for (let i = 0; i < 3; i++) (sim.typists[(round + i) % 3] as Typist).submit();
      for (const t of sim.typists) t.receive();
    }
    sim.finish();
    checkRuns(sim.server, sim.typists, initial);
    expect(plainText(sim.server.document)).toBe('azzzzyyyyxxxxb\n');
  });

  it('[C1] [C5] the typing of each person stays contiguous, whatever the delivery interleaving', () => {
    fc.assert(
      fc.property(scenarioArb, ({ clientIds, runs, initial, at, steps }) => {
        const texts = runs.map((length, i) => (alphabets[i] as string).slice(0, length));
        const sim = typeConcurrently(initial, at % initial.length, clientIds, texts);
        for (const step of steps) sim.step(step);
        sim.finish();
        checkRuns(sim.server, sim.typists, initial);
      }),
      { numRuns: 500 },
    );
  }, 60_000);
});
