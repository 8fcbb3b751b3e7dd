import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy whose server-to-client direction a test can hold back, like a slow downlink: bytes from the
 * server are kept, in order, until `release`. The client-to-server direction always flows, so frames the
 * client sends cross frames the server already sent.
 */
export interface HoldLink {
  readonly port: number;
  hold(): void;
  /** Delivers everything held back, in order, and lets later bytes through. */
  release(): void;
  close(): Promise<void>;
}

export function startHoldLink(upstreamPort: number): Promise<HoldLink> {
  let holding = false;
  const pairs = new Set<{ downstream: Socket; held: Buffer[]; ended: boolean }>();
  const server = createServer((downstream) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    // Like a proxy in production (nginx's tcp_nodelay): small frames are not held back by Nagle's algorithm.
    downstream.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { downstream, held: [] as Buffer[], ended: false };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', () => {
      // What was held is delivered before the close is passed on.
      pair.ended = true;
      if (pair.held.length === 0) drop();
    });
    downstream.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (holding) pair.held.push(chunk);
      else downstream.write(chunk);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') return reject(new Error('no port'));
      resolve({
        port: address.port,
        hold() {
          holding = true;
        },
        release() {
          holding = false;
          for (const pair of pairs) {
            for (const chunk of pair.held.splice(0)) pair.downstream.write(chunk);
            if (pair.ended) pair.downstream.end();
          }
        },
        close() {
          for (const pair of pairs) pair.downstream.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
