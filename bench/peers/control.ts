/**
 * The control port of a peer server in the benchmark: seeds a document and reports the process's memory.
 * It prints `ports <service> <control>` once both listen, which the benchmark reads.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Control {
  /** Creates document `id` with the contents `ops` (a Quill delta's ops). */
  seed(id: string, ops: readonly object[]): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startControl(servicePort: number, control: Control): Promise<void> {
  const server = createServer((req, res) => {
    const seed = /^\/seed\/([\w-]+)$/.exec(req.url ?? '');
    if (seed?.[1] && req.method === 'POST') {
      const id = seed[1];
      body(req)
        .then((text) => control.seed(id, JSON.parse(text) as object[]))
        .then(
          () => res.end('ok'),
          (error: unknown) => {
            res.statusCode = 500;
            res.end(String(error));
          },
        );
      return;
    }
    if (req.url === '/memory') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(process.memoryUsage()));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`ports ${servicePort} ${(server.address() as AddressInfo).port}`);
}
