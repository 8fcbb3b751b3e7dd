import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a server, whose link a test can cut like a network failure, point elsewhere, or
 * slow down one way.
 */
export interface Link {
  readonly port: number;
  /** Drops every open connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  /** Points the link at another upstream port (a server restarted elsewhere). */
  retarget(port: number): void;
  /**
   * Holds back the server-to-client direction, like a slow downlink: bytes from the server are kept, in
   * order, until `release`. The client-to-server direction still flows, so frames the client sends cross
   * frames the server already sent.
   */
  hold(): void;
  /** Delivers everything held back, in order, and lets later bytes through. */
  release(): void;
  /** Delays every byte by `ms` each way on connections opened from now on, like a slow network. */
  delay(ms: number): void;
  close(): Promise<void>;
}

interface Connection {
  readonly held: Buffer[];
  /** The server closed its side; what is held is delivered before the close is passed on. */
  ended: boolean;
  readonly drop: () => void;
  readonly downstream: Socket;
}

export function startLink(upstreamPort: number): Promise<Link> {
  let target = upstreamPort;
  let online = true;
  let holding = false;
  let latencyMs = 0;
  const connections = new Set<Connection>();
  const dropAll = () => {
    for (const connection of connections) connection.drop();
  };
  const server = createServer((downstream) => {
    if (!online) {
      downstream.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    const latency = latencyMs;
    // Every chunk waits as long as the ones before it, so the order is kept.
    const later = (socket: Socket, chunk: Buffer) =>
      latency === 0
        ? socket.write(chunk)
        : setTimeout(() => socket.destroyed || socket.write(chunk), latency);
    // Like a proxy in production (nginx's tcp_nodelay): small frames are not held back by Nagle's algorithm.
    downstream.setNoDelay(true);
    upstream.setNoDelay(true);
    const connection: Connection = {
      held: [],
      ended: false,
      downstream,
      drop: () => {
        connections.delete(connection);
        downstream.destroy();
        upstream.destroy();
      },
    };
    connections.add(connection);
    downstream.on('error', connection.drop).on('close', connection.drop);
    upstream.on('error', connection.drop).on('close', () => {
      connection.ended = true;
      if (connection.held.length === 0) connection.drop();
    });
    if (latency === 0) downstream.pipe(upstream);
    else downstream.on('data', (chunk: Buffer) => later(upstream, chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (holding) connection.held.push(chunk);
      else later(downstream, chunk);
    });
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
          dropAll();
        },
        restore() {
          online = true;
        },
        retarget(port) {
          target = port;
        },
        hold() {
          holding = true;
        },
        release() {
          holding = false;
          for (const connection of connections) {
            for (const chunk of connection.held.splice(0)) connection.downstream.write(chunk);
            if (connection.ended) connection.downstream.end();
          }
        },
        delay(ms) {
          latencyMs = ms;
        },
        close() {
          online = false;
          dropAll();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
