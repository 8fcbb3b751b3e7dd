/**
 * The peer of the fan-out benchmark: a minimal tRPC server in the style the design warns about [P1].
 * Every submit is appended to a list and sent at once, as its own message, to every subscriber. No OT,
 * no storage: it does strictly less work per op than the real server, except for the fan-out itself.
 * Run as its own process (like the real server) so both are measured from the same bench client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, on } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { z } from 'zod';

const t = initTRPC.create();
const events = new EventEmitter();
events.setMaxListeners(0);
let version = 0;

const peerRouter = t.router({
  submit: t.procedure
    .input(z.object({ key: z.string(), delta: z.object({ ops: z.array(z.unknown()) }) }))
    .mutation(({ input }) => {
      version += 1;
      events.emit('op', { version, key: input.key, delta: input.delta });
      return { version };
    }),
  changes: t.procedure.subscription(async function* ({ signal }) {
    for await (const [op] of on(events, 'op', { signal })) {
      yield op as { version: number; key: string; delta: unknown };
    }
  }),
});

export type PeerRouter = typeof peerRouter;

/** Starts the peer in a child process; resolves with its WebSocket URL. */
export function startNaivePeer(): Promise<{ wsUrl: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), '--serve'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`naive peer exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const port = /port (\d+)/.exec(chunk.toString())?.[1];
      if (!port) return;
      resolve({
        wsUrl: `ws://127.0.0.1:${port}`,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill();
          }),
      });
    });
  });
}

if (process.argv.includes('--serve')) {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  applyWSSHandler({ wss, router: peerRouter });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') process.stdout.write(`port ${address.port}\n`);
  });
}
