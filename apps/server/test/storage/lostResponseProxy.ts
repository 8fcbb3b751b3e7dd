import { connect, createServer, type Socket } from 'node:net';

export interface LostResponseProxy {
  /** `http://127.0.0.1:<port>`: point a client here instead of at the real endpoint. */
  readonly endpoint: string;
  /**
   * The next request whose bytes contain `marker` (a DynamoDB action such as `DynamoDB_20120810.PutItem`,
   * or a piece of its body such as a condition expression) reaches DynamoDB, but its answer is dropped and
   * the connection reset, as when the network fails after the write was applied.
   */
  loseNextResponse(marker: string): void;
  /** How many answers were dropped so far. */
  readonly dropped: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of DynamoDB Local that can lose one answer on purpose. Used to check that an
 * SDK retry of a write that did succeed is recognised as ours instead of reported as a conflict.
 */
export async function startLostResponseProxy(upstream: string): Promise<LostResponseProxy> {
  const target = new URL(upstream);
  let armedMarker: string | undefined;
  let dropped = 0;
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const server = connect(Number(target.port), target.hostname);
    sockets.add(client).add(server);
    client.once('close', () => sockets.delete(client));
    server.once('close', () => sockets.delete(server));
    let dropAnswer = false;
    client.on('data', (chunk: Buffer) => {
      if (armedMarker !== undefined && chunk.includes(armedMarker)) {
        armedMarker = undefined;
        dropAnswer = true;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (dropAnswer) {
        dropped++;
        client.destroy();
        server.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
    client.on('end', () => server.end());
    server.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    loseNextResponse: (marker) => {
      armedMarker = marker;
    },
    get dropped() {
      return dropped;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
