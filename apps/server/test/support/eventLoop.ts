/**
 * How many turns of the event loop other work got while `work` ran to its end: 0 when it ran without
 * ever giving the loop back (only microtasks) [L1].
 */
export async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const turn = () => {
    if (!running) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}
