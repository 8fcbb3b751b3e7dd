import { documentArb, primitivesArb } from '@collab/ot/testing';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { closeSimulations, Simulation, type Step } from './simulation.js';

afterAll(closeSimulations);

const client = fc.nat({ max: 5 });
const count = fc.integer({ min: 1, max: 4 });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('edit' as const), client, primitives: primitivesArb }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('up' as const), client, count }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('down' as const), client, count }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client, serverGotIt: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reconnect' as const),
      client,
      replayOverlap: fc.nat({ max: 3 }),
    }),
  },
);

const scenarioArb = fc.record({
  clients: fc.integer({ min: 2, max: 6 }),
  initial: documentArb,
  steps: fc.array(stepArb, { minLength: 5, maxLength: 100, size: 'max' }),
});

describe('simulation: random schedules of editing clients and a flaky network', () => {
  it('[C5] all clients converge on the server document and no edit is lost or committed twice', () => {
    fc.assert(
      fc.property(scenarioArb, ({ clients, initial, steps }) => {
        new Simulation(initial, clients).run(steps).settle().checkConverged();
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
