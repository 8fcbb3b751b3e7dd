import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string };

/** Past the limit the rest of a body is read and dropped, up to this many times the limit, then cut. */
const drainFactor = 4;

export type BytesResult =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string };

/**
 * Reads a request body as UTF-8 text, at most `maxBytes` of it (docs/SPEC.md §7). A larger body is refused
 * without being kept in memory; it is drained so the client can read the answer, and cut when it goes on.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const read = await readBodyBytes(req, maxBytes);
  if (!read.ok) return read;
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(read.bytes) };
  } catch {
    return { ok: false, status: 400, message: 'The request body is not UTF-8 text' };
  }
}

/** Reads a request body as bytes, at most `maxBytes` of it, like `readBody`. */
export function readBodyBytes(req: IncomingMessage, maxBytes: number): Promise<BytesResult> {
  return new Promise((resolve) => {
    const tooLarge = {
      ok: false,
      status: 413,
      message: `The request body is over the limit of ${maxBytes} bytes`,
    } as const;
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;

    const refuse = () => {
      refused = true;
      chunks.length = 0;
      resolve(tooLarge);
    };
    if (Number.isFinite(declared) && declared > maxBytes) refuse();

    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > maxBytes * drainFactor) req.destroy();
        return;
      }
      if (size > maxBytes) {
        refuse();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve({ ok: true, bytes: Buffer.concat(chunks) });
    });
    req.on('error', () => {
      if (!refused) resolve({ ok: false, status: 400, message: 'The request body could not be read' });
      refused = true;
    });
  });
}
