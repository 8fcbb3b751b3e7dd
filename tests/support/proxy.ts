import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of a server, whose link a test can cut like a network failure. */
export interface CuttableLink {
  readonly port: number;
  /** Drops every open connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  /** Points the link at another upstream port (a server restarted elsewhere). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export function startLink(upstreamPort: number): Promise<CuttableLink> {
  let target = upstreamPort;
  let online = true;
  const open = new Set<Socket>();
  const server = createServer((downstream) => {
    if (!online) {
      downstream.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    open.add(downstream);
    open.add(upstream);
    const drop = () => {
      downstream.destroy();
      upstream.destroy();
      open.delete(downstream);
      open.delete(upstream);
    };
    downstream.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') return reject(new Error('no port'));
      resolve({
        port: address.port,
        cut() {
          online = false;
          for (const socket of open) socket.destroy();
          open.clear();
        },
        restore() {
          online = true;
        },
        retarget(port) {
          target = port;
        },
        close() {
          online = false;
          for (const socket of open) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
