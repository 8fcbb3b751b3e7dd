import { Delta } from '@collab/ot';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSimulations, Simulation, type Step } from './simulation.js';

afterAll(closeSimulations);

const insert = (at: number, text: string) => ({ kind: 'insert' as const, at, text, attributes: undefined });
const remove = (at: number, length: number) => ({ kind: 'delete' as const, at, length });

describe('simulation regressions, on the real server session', () => {
  it('[C5] regression: seed 643501108: two clients delete the same "\\n" concurrently', () => {
    // Found a fault in the simulation's own bookkeeping (it counted the newline as deleted twice).
    const steps: Step[] = [
      { kind: 'edit', client: 0, primitives: [remove(0, 0), insert(0, 'a')] },
      { kind: 'edit', client: 3, primitives: [remove(0, 0)] },
    ];
    new Simulation(new Delta().insert('\n\n'), 2).run(steps).settle().checkConverged();
  });

  it('[C3] disconnect after the server committed but before the ack arrived: the resend is not committed again', () => {
    const steps: Step[] = [
      { kind: 'edit', client: 0, primitives: [insert(1, 'x')] },
      { kind: 'up', client: 0, count: 1 }, // committed as version 1; the ack is on its way
      { kind: 'disconnect', client: 0, serverGotIt: false }, // and is lost
      { kind: 'edit', client: 1, primitives: [remove(0, 1)] },
      { kind: 'up', client: 1, count: 1 },
      { kind: 'edit', client: 0, primitives: [insert(0, 'y')] }, // offline: goes into the buffer
      { kind: 'reconnect', client: 0, replayOverlap: 0 }, // resends seq 0 at base version 0
      { kind: 'up', client: 0, count: 1 },
    ];
    const sim = new Simulation(new Delta().insert('abc\n'), 2).run(steps);
    expect(sim.server.duplicates).toBe(1);
    expect(sim.server.version).toBe(2);
    sim.settle().checkConverged();
    expect(sim.server.log.map((op) => [op.clientId, op.seq])).toEqual([
      ['client0', 0],
      ['client1', 0],
      ['client0', 1],
    ]);
  });

  it('[C3] the submission reaches the server as the connection drops; the resend after catch-up is a duplicate', () => {
    const steps: Step[] = [
      { kind: 'edit', client: 0, primitives: [insert(3, 'x')] },
      { kind: 'edit', client: 1, primitives: [insert(3, 'y')] },
      { kind: 'up', client: 1, count: 1 },
      { kind: 'disconnect', client: 0, serverGotIt: true },
      { kind: 'reconnect', client: 0, replayOverlap: 0 },
      { kind: 'down', client: 0, count: 1 }, // client1's op, transformed over our in-flight op
      { kind: 'up', client: 0, count: 1 },
    ];
    const sim = new Simulation(new Delta().insert('abc\n'), 2).run(steps);
    expect(sim.server.duplicates).toBe(1);
    sim.settle().checkConverged();
    expect(sim.server.version).toBe(2);
  });

  it('[C2] ops replayed again on reconnect are stale and ignored', () => {
    const steps: Step[] = [
      { kind: 'edit', client: 0, primitives: [insert(0, 'x')] },
      { kind: 'up', client: 0, count: 1 },
      { kind: 'edit', client: 0, primitives: [insert(0, 'y')] },
      { kind: 'down', client: 0, count: 1 },
      { kind: 'up', client: 0, count: 1 },
      { kind: 'down', client: 1, count: 2 },
      { kind: 'disconnect', client: 1, serverGotIt: false },
      { kind: 'reconnect', client: 1, replayOverlap: 2 },
      { kind: 'down', client: 1, count: 2 },
    ];
    const sim = new Simulation(new Delta().insert('abc\n'), 2).run(steps);
    expect(sim.received.stale).toBe(2);
    sim.settle().checkConverged();
  });

  it('[C4] offline edits survive a concurrent delete of the text around them', () => {
    const steps: Step[] = [
      { kind: 'disconnect', client: 0, serverGotIt: false },
      { kind: 'edit', client: 0, primitives: [insert(2, 'xy')] },
      { kind: 'edit', client: 0, primitives: [remove(1, 3), insert(1, 'z')] },
      { kind: 'edit', client: 1, primitives: [remove(0, 4)] },
      { kind: 'up', client: 1, count: 1 },
      { kind: 'reconnect', client: 0, replayOverlap: 0 },
    ];
    const sim = new Simulation(new Delta().insert('abcde\n'), 2).run(steps).settle();
    sim.checkConverged();
    expect(sim.received.remote).toBeGreaterThan(0);
  });
});
