/**
 * The ShareDB peer of the benchmark: ShareDB 7 with the rich-text type, in memory, over WebSocket (one JSON
 * message per WebSocket message, as ShareDB's own examples wire it).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import richText from 'rich-text';
import ShareDB from 'sharedb';
import { WebSocketServer } from 'ws';
import { startControl } from './control.js';

// Exits at once when stopped: nothing is stored, and a normal exit writes the CPU profile if one is taken.
process.on('SIGTERM', () => process.exit(0));
ShareDB.types.register(richText.type);
const backend = new ShareDB();
const http = createServer((_req, res) => res.end('sharedb'));
const sockets = new WebSocketServer({ server: http });

sockets.on('connection', (socket) => {
  const stream = new Duplex({
    objectMode: true,
    read() {},
    write(message, _encoding, done) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      done();
    },
  });
  socket.on('message', (data) => {
    try {
      stream.push(JSON.parse(String(data)));
    } catch {
      socket.close();
    }
  });
  socket.on('close', () => {
    stream.push(null);
    stream.destroy();
  });
  socket.on('error', () => {});
  stream.on('error', () => socket.terminate());
  backend.listen(stream);
});

await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
await startControl((http.address() as AddressInfo).port, {
  seed: (id, ops) =>
    new Promise((resolve, reject) =>
      backend
        .connect()
        .get('docs', id)
        .create(ops, richText.type.uri, (error) => (error ? reject(error) : resolve())),
    ),
});
