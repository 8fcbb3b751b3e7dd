/** The benchmark's Hocuspocus peer: Hocuspocus 4 (Yjs), in memory, no extensions. */
import { Server } from '@hocuspocus/server';
import { startControl } from './control.js';

const server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false });
// Exits at once when stopped: nothing is stored, and a normal exit writes the CPU profile if one is taken.
process.on('SIGTERM', () => process.exit(0));
await server.listen();
// Seeded documents keep a direct connection open: without storage, a document nobody has open is gone.
const keepOpen: unknown[] = [];
await startControl(server.address.port, {
  async seed(id, ops) {
    const connection = await server.hocuspocus.openDirectConnection(id);
    await connection.transact((doc) => {
      doc.getText('default').applyDelta([...ops]);
    });
    keepOpen.push(connection);
  },
});
