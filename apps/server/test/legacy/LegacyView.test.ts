import { applyChange, Delta, rebase, validateChange } from '@collab/ot';
import type { CommittedOp, Op } from '@collab/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampChange, LegacyView } from '../../src/legacy/LegacyView.js';

/*
 * The legacy view against a simulated seed client over a simulated network: two ordered queues, with the
 * server's frames and pings delivered at arbitrary times relative to the client's changes (frames cross),
 * other writers committing at arbitrary times, and commits delayed arbitrarily. The client behaves like
 * the seed's: it applies its own edits at once and every frame as it arrives, and answers pings.
 */

type ToClient = { kind: 'frame'; delta?: Delta; contents?: Delta } | { kind: 'ping'; frame: number };
type ToServer =
  | { kind: 'change'; delta: Delta }
  | { kind: 'pong'; frame: number }
  | { kind: 'save'; contents: Delta };

/** What Quill does with a change past the end, roughly: the simulated client never breaks its document. */
function applyLikeQuill(doc: Delta, change: Delta): Delta {
  if (validateChange(change, doc) === undefined) return applyChange(doc, change);
  return applyChange(doc, clampChange(change, doc.length()));
}

function edit(doc: Delta, pick: number, pick2: number, tag: string): Delta {
  const editable = doc.length() - 1;
  const at = pick % (editable + 1);
  if (pick2 % 3 !== 0 || editable < 2) {
    return new Delta().retain(at).insert(tag, pick2 % 5 === 1 ? { bold: true } : undefined);
  }
  if (at >= editable) return new Delta().retain(editable - 1).delete(1);
  if (pick2 % 2 === 0) return new Delta().retain(at).delete(Math.min(editable - at, 1 + (pick2 % 3)));
  return new Delta().retain(at).retain(Math.min(editable - at, 2), { italic: true });
}

class Simulation {
  server = new Delta().insert('ab\n');
  log: CommittedOp[] = [];
  client = new Delta();
  toClient: ToClient[] = [];
  toServer: ToServer[] = [];
  submits: { clientId: string; seq: number; baseVersion: number; delta: Delta }[] = [];
  view = new LegacyView('legacy-sim');
  counter = 0;
  reports: string[] = [];

  /**
   * `atomicPings`: the client answers a ping as soon as it has applied the frames before it, like `ws`.
   * Such a client never races its pongs, so the connection may take each pong at once.
   */
  takesPongsAtOnce: boolean;
  constructor(readonly atomicPings = false) {
    this.takesPongsAtOnce = atomicPings;
    this.view.reset(0, this.server);
    this.flush();
  }

  commit(clientId: string, seq: number, baseVersion: number, delta: Delta) {
    if (this.log.some((op) => op.clientId === clientId && op.seq === seq)) return;
    const change = rebase(
      delta,
      this.log.slice(baseVersion).map((op) => ({ delta: new Delta(op.delta.ops), clientId: op.clientId })),
      clientId,
    );
    expect(validateChange(change, this.server)).toBeUndefined();
    this.server = applyChange(this.server, change);
    this.log.push({ version: this.log.length + 1, delta: { ops: change.ops as Op[] }, clientId, seq });
  }

  flush() {
    const frames = this.view.takeFrames();
    for (const frame of frames) {
      this.toClient.push(
        frame.kind === 'document'
          ? { kind: 'frame', contents: frame.contents }
          : { kind: 'frame', delta: frame.delta },
      );
    }
    if (frames.length > 0) this.toClient.push({ kind: 'ping', frame: this.view.framesSent });
    const op = this.view.takeOutgoing();
    if (op) this.submits.push({ clientId: this.view.clientId, ...op });
  }

  step(kind: number, a: number, b: number) {
    switch (kind) {
      case 0: {
        // The seed client edits what it shows.
        if (this.client.length() === 0) return;
        const change = edit(this.client, a, b, `c${this.counter++}`);
        this.client = applyChange(this.client, change);
        this.toServer.push({ kind: 'change', delta: change });
        return;
      }
      case 1: {
        const message = this.toClient.shift();
        if (!message) return;
        if (message.kind === 'ping') this.toServer.push({ kind: 'pong', frame: message.frame });
        else if (message.contents) this.client = message.contents;
        else if (message.delta) this.client = applyLikeQuill(this.client, message.delta);
        if (this.atomicPings && this.toClient[0]?.kind === 'ping') this.step(1, 0, 0);
        return;
      }
      case 2: {
        const message = this.toServer.shift();
        if (!message) {
          // Nothing came for a while: the connection places a waiting keystroke and takes a held pong.
          this.view.decide();
          this.view.settleAcknowledgement();
          this.flush();
          return;
        }
        if (message.kind === 'change') this.view.change(message.delta);
        else if (message.kind === 'pong') {
          this.view.acknowledge(message.frame);
          // A client that answers pings only after the frames before them never races them: the
          // connection may take the pong at once (a browser's pong is held for the change behind it).
          if (this.takesPongsAtOnce) this.view.settleAcknowledgement();
        } else this.reports.push(this.view.report(message.contents));
        this.flush();
        return;
      }
      case 3: {
        const submit = this.submits.shift();
        if (submit) this.commit(submit.clientId, submit.seq, submit.baseVersion, submit.delta);
        return;
      }
      case 4: {
        // The follow loop integrates what was committed.
        const ops = this.log.slice(this.view.version);
        if (ops.length === 0) return;
        expect(this.view.committed(ops)).toBe(true);
        this.flush();
        return;
      }
      case 5:
        this.commit(
          `other-${this.counter}`,
          this.counter++,
          this.log.length,
          edit(this.server, a, b, `o${this.counter}`),
        );
        return;
      case 6:
        if (this.client.length() > 0) this.toServer.push({ kind: 'save', contents: this.client });
        return;
    }
  }

  /** Delivers everything, with the seed client's periodic save-changes, until nothing moves. */
  settle() {
    for (let round = 0; round < 50; round++) {
      for (
        let i = 0;
        i < 10_000 &&
        (this.toClient.length ||
          this.toServer.length ||
          this.submits.length ||
          this.view.version < this.log.length);
        i++
      ) {
        this.step(2, 0, 0);
        this.step(3, 0, 0);
        this.step(4, 0, 0);
        this.step(1, 0, 0);
      }
      this.step(2, 0, 0);
      if (this.toClient.length > 0) continue;
      const same = JSON.stringify(this.client.ops) === JSON.stringify(this.server.ops);
      if (same && this.view.pendingEdits === 0) return;
      this.step(6, 0, 0);
    }
  }
}

/** The document starts as "ab": the tab types the other lower-case letters. */
const lower = 'cdefghijklmnopqrstuvwxyz';
const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const textOf = (doc: Delta) => doc.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

/**
 * A browser tab typing at its caret while someone else types at theirs. Its pongs come from the browser's
 * network stack: a ping is answered when it arrives, before the page has applied the frame ahead of it,
 * so a keystroke already queued runs between the pong and that frame.
 */
class TypingSimulation extends Simulation {
  typed = 0;
  otherTyped = 0;
  /** A frame received, its ping answered, not yet applied by the page. */
  held: Delta | undefined;

  constructor() {
    // Never late: a browser answers a ping as soon as it arrives, often before the page has the frame.
    super(true);
    this.takesPongsAtOnce = false;
  }

  /** Right after the last letter of `letters` typed so far, where Quill keeps a typist's caret. */
  caret(doc: Delta, letters: string, count: number): number {
    return count === 0 ? 2 : textOf(doc).indexOf(letters[count - 1] as string) + 1;
  }

  override step(kind: number, a: number, b: number) {
    if (kind === 0) {
      if (this.client.length() === 0 || this.typed === lower.length) return;
      const change = new Delta()
        .retain(this.caret(this.client, lower, this.typed))
        .insert(lower[this.typed++] as string);
      this.client = applyChange(this.client, change);
      this.toServer.push({ kind: 'change', delta: change });
      // The page's message event was queued behind this keystroke: it runs next.
      if (this.held) this.step(1, a, b);
    } else if (kind === 1) {
      if (this.held) {
        this.client = applyLikeQuill(this.client, this.held);
        this.held = undefined;
        return;
      }
      const message = this.toClient[0];
      if (message?.kind === 'frame' && message.delta && this.toClient[1]?.kind === 'ping') {
        this.toClient.shift();
        const ping = this.toClient.shift() as { frame: number };
        this.toServer.push({ kind: 'pong', frame: ping.frame });
        this.held = message.delta;
        return;
      }
      super.step(1, a, b);
    } else if (kind === 5) {
      if (this.otherTyped === upper.length) return;
      const at = this.caret(this.server, upper, this.otherTyped);
      this.commit(
        'other',
        this.otherTyped,
        this.log.length,
        new Delta().retain(at).insert(upper[this.otherTyped++] as string),
      );
    } else super.step(kind, a, b);
  }
}

describe('LegacyView', () => {
  it('[C11] keystrokes crossing frames whose pongs came early: every character kept once, everyone equal', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 40, maxLength: 200 }), (actions) => {
        const sim = new TypingSimulation();
        for (const kind of actions) sim.step(kind, 0, 0);
        sim.settle();
        expect(sim.client.ops).toEqual(sim.server.ops);
        const text = textOf(sim.server);
        const sorted = (letters: string) => [...letters].sort().join('');
        expect(sorted(text.replace(/[^c-z]/g, ''))).toBe(lower.slice(0, sim.typed));
        expect(sorted(text.replace(/[^A-Z]/g, ''))).toBe(upper.slice(0, sim.otherTyped));
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('[C11] a keystroke made between a pong and the frame ahead of it keeps its typed order', () => {
    const sim = new TypingSimulation();
    sim.settle();
    for (let i = 0; i < 3; i++) sim.step(0, 0, 0); // "cde" typed and committed
    sim.settle();
    // Someone types "A" where the tab's typing began; its frame and ping arrive together.
    sim.commit('other', 0, sim.log.length, new Delta().retain(2).insert('A'));
    sim.otherTyped = 1;
    sim.step(4, 0, 0);
    sim.step(1, 0, 0); // the pong goes at once; the page has not applied the frame yet
    sim.step(0, 0, 0); // "f" was queued before it, so the page types it first
    expect(textOf(sim.client)).toBe('abAcdef\n');
    sim.settle();
    expect(textOf(sim.server)).toBe('abAcdef\n');
    expect(sim.client.ops).toEqual(sim.server.ops);
  });

  it('[C11] a correction due when a keystroke arrives is sent in the coordinates that include it', () => {
    const sim = new Simulation();
    sim.settle();
    const type = (delta: Delta) => {
      sim.client = applyChange(sim.client, delta);
      sim.toServer.push({ kind: 'change', delta });
    };
    // Someone types "X" at the end; the tab types "1" at the start before that frame reaches it.
    sim.commit('other', 0, sim.log.length, new Delta().retain(2).insert('X'));
    sim.step(4, 0, 0);
    type(new Delta().insert('1'));
    sim.step(1, 0, 0);
    sim.step(1, 0, 0);
    expect(textOf(sim.client)).toBe('1aXb\n'); // the frame applied at the index it was sent with
    sim.step(2, 0, 0);
    sim.step(2, 0, 0); // the pong, held: the frame has to be corrected
    type(new Delta().retain(1).insert('2')); // typed before the correction comes
    sim.step(2, 0, 0);
    while (sim.toClient.length > 0) sim.step(1, 0, 0);
    expect(textOf(sim.client)).toBe('12abX\n');
    sim.settle();
    expect(sim.reports.filter((report) => report === 'corrected')).toEqual([]);
    expect(sim.client.ops).toEqual(sim.server.ops);
  });

  /** A load, then someone's "A" typed before the tab's caret: the frame and its ping arrive, the pong goes. */
  function firstKeystrokeCrossingAFrame() {
    const sim = new TypingSimulation();
    sim.settle();
    sim.commit('other', 0, sim.log.length, new Delta().insert('A'));
    sim.otherTyped = 1;
    sim.step(4, 0, 0);
    sim.step(1, 0, 0); // the pong goes at once; the page has not applied the frame yet
    sim.step(0, 0, 0); // "c", queued before the frame, is typed first, at a caret the server does not know
    expect(textOf(sim.client)).toBe('Aabc\n');
    sim.step(2, 0, 0); // the pong, held
    const first = sim.toServer.shift() as { kind: 'change'; delta: Delta };
    return { sim, outcome: sim.view.change(first.delta) };
  }

  it('[C11] the first keystroke after a load, made before a frame, is placed by the keystroke after it', () => {
    const { sim, outcome } = firstKeystrokeCrossingAFrame();
    expect(outcome.kind).toBe('undecided');
    sim.step(0, 0, 0); // "d", right after "c" on the page
    sim.settle();
    expect(textOf(sim.server)).toBe('Aabcd\n');
    expect(sim.client.ops).toEqual(sim.server.ops);
  });

  it('[C11] an undecided keystroke with frames acknowledged after it: both readings account for them', () => {
    const { sim } = firstKeystrokeCrossingAFrame();
    // "B" typed at the start, its frame and pong arrive before the tab's next keystroke.
    sim.commit('other', 1, sim.log.length, new Delta().insert('B'));
    sim.otherTyped = 2;
    sim.step(4, 0, 0);
    sim.step(1, 0, 0);
    sim.step(1, 0, 0);
    sim.step(2, 0, 0); // the later pong waits behind the undecided keystroke
    sim.step(0, 0, 0);
    sim.settle();
    expect(textOf(sim.server)).toBe('BAabcd\n');
    expect(sim.client.ops).toEqual(sim.server.ops);
  });

  it('[C11] an undecided keystroke with no keystroke after it is kept, placed as made after the frame', () => {
    const { sim } = firstKeystrokeCrossingAFrame();
    expect(sim.view.pendingEdits).toBe(0);
    sim.view.decide(); // the connection's timer: nothing came
    sim.flush();
    expect(sim.view.pendingEdits).toBe(1);
    sim.settle();
    expect(textOf(sim.server).replace(/[^c]/g, '')).toBe('c');
    expect(sim.client.ops).toEqual(sim.server.ops);
  });

  it('[C11] frames held across pongs count once their own pong has waited: a tab that never types holds nothing for long', () => {
    const view = new LegacyView('idle-tab');
    view.reset(0, new Delta().insert('ab\n'));
    view.takeFrames();
    view.acknowledge(view.framesSent);
    view.settleAcknowledgement();
    const frames: number[] = [];
    for (const version of [1, 2, 3]) {
      const delta = { ops: [{ insert: String(version) }] };
      expect(view.committed([{ version, clientId: 'other', seq: version, delta }])).toBe(true);
      view.takeFrames();
      view.acknowledge(view.framesSent);
      frames.push(view.framesSent);
    }
    // Every pong came with no keystroke behind it: all three frames are held.
    expect(view.actual.ops).toEqual([{ insert: 'ab\n' }]);
    view.settleAcknowledgement(frames[1]);
    expect(view.actual.ops).toEqual([{ insert: '21ab\n' }]);
    view.settleAcknowledgement(frames[2]);
    expect(view.actual.ops).toEqual([{ insert: '321ab\n' }]);
    expect(view.intended.ops).toEqual([{ insert: '321ab\n' }]);
  });

  it('[C5] a seed client converges with the server whatever crosses on the wire', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.nat(50), fc.nat(50)), { maxLength: 120 }),
        (actions) => {
          const sim = new Simulation();
          for (const [kind, a, b] of actions) sim.step(kind, a, b);
          sim.settle();
          expect(sim.client.ops).toEqual(sim.server.ops);
          expect(sim.view.intended.ops).toEqual(sim.server.ops);
          expect(sim.view.actual.ops).toEqual(sim.server.ops);
          expect(sim.view.pendingEdits).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('[C1] with pings answered right after the frames before them, the server replays the client exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.nat(50), fc.nat(50)), { maxLength: 120 }),
        (actions) => {
          const sim = new Simulation(true);
          for (const [kind, a, b] of actions) sim.step(kind, a, b);
          sim.settle();
          expect(sim.client.ops).toEqual(sim.server.ops);
          // Every save-changes matched what the server had replayed: no correction was ever needed.
          expect(sim.reports.filter((outcome) => outcome !== 'matches' && outcome !== 'ignored')).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('[C1] a change made before a frame arrived is applied where its author made it', () => {
    const sim = new Simulation();
    sim.step(1, 0, 0); // db-document
    sim.step(1, 0, 0); // ping
    sim.step(2, 0, 0); // pong
    expect(sim.client.ops).toEqual([{ insert: 'ab\n' }]);
    // Someone inserts "X" at 0; its frame is on its way when the client deletes "b".
    sim.commit('other', 1, 0, new Delta().insert('X'));
    sim.step(4, 0, 0);
    const deleteB = new Delta().retain(1).delete(1);
    sim.client = applyChange(sim.client, deleteB);
    sim.toServer.push({ kind: 'change', delta: deleteB });
    sim.step(2, 0, 0);
    sim.step(3, 0, 0);
    expect(sim.server.ops).toEqual([{ insert: 'Xa\n' }]);
    sim.settle();
    expect(sim.client.ops).toEqual([{ insert: 'Xa\n' }]);
  });

  it('[R5] save-changes never writes: a stale report leaves the document alone', () => {
    const sim = new Simulation();
    sim.settle();
    sim.commit('other', 1, 0, new Delta().retain(2).insert('!'));
    sim.view.report(new Delta().insert('stale contents\n'));
    sim.flush();
    sim.settle();
    expect(sim.server.ops).toEqual([{ insert: 'ab!\n' }]);
    expect(sim.client.ops).toEqual(sim.server.ops);
    expect(sim.submits).toEqual([]);
  });

  it('[V1] a change refused for the connection is undone on the client', () => {
    const sim = new Simulation();
    sim.settle();
    const change = new Delta().insert('zz');
    sim.client = applyChange(sim.client, change);
    expect(sim.view.change(change, false)).toEqual({ kind: 'reverted' });
    sim.flush();
    sim.settle();
    expect(sim.log).toEqual([]);
    expect(sim.client.ops).toEqual([{ insert: 'ab\n' }]);
  });
});
