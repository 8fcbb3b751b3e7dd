import { Delta } from '@collab/ot';
import { Effect } from 'effect';
import { describe, expect, it } from 'vitest';
import { turnsDuring } from '../support/eventLoop.js';
import { openSession, request, sessionSuite, textOf } from './support.js';

const suite = sessionSuite();

const paste = (ops: number) => {
  const delta = new Delta();
  for (let i = 0; i < ops; i++) delta.insert(`word ${i} `, i % 2 ? { bold: true } : undefined);
  return delta;
};

describe('[L1] a large change lets other requests run while it commits', () => {
  it('[L1] a paste of thousands of ops yields to the event loop between the steps of its commit; a keystroke does not', async () => {
    const { session } = openSession(suite.store, 'pasted');
    suite.keep(session);
    const keystroke = await turnsDuring(() =>
      Effect.runPromise(session.submit(request('me', 1, 0, paste(1)))),
    );
    const large = paste(5_000);
    const pasted = await turnsDuring(() => Effect.runPromise(session.submit(request('me', 2, 1, large))));
    expect(keystroke).toBeLessThan(2);
    expect(pasted).toBeGreaterThanOrEqual(3);
    expect(textOf(session.document)).toBe(`${large.ops.map((op) => op.insert).join('')}word 0 hello world\n`);
  });
});
