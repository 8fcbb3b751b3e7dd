import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

/** DynamoDB's hard limit on one item: attribute names plus values, in bytes. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Room kept in each item for its key and the other attributes (document id up to 128 characters,
 * chunk key, version, timestamps, client id, markers): a few hundred bytes at most, rounded up generously.
 */
export const RESERVED_ITEM_BYTES = 2 * 1024;

/** The largest payload (JSON text, gzip bytes or one chunk) stored in a single item. */
export const MAX_PAYLOAD_BYTES = MAX_ITEM_BYTES - RESERVED_ITEM_BYTES;

/**
 * How a delta's JSON is laid out in DynamoDB [S6]:
 * - `json`: the JSON text itself, in one string attribute. Every delta that fits is stored this way, so an
 *   old reader of the table (which expects `Data` to be a JSON string) still sees it.
 * - `gzip`: the gzip of the JSON, in one binary attribute, when the text is too big but its gzip fits.
 * - `gzip-chunks`: the gzip cut into pieces of at most `MAX_PAYLOAD_BYTES`, each in an item of its own.
 */
export type EncodedPayload =
  | { readonly encoding: 'json'; readonly json: string }
  | { readonly encoding: 'gzip'; readonly gzip: Uint8Array }
  | { readonly encoding: 'gzip-chunks'; readonly chunks: readonly Uint8Array[] };

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Picks the smallest layout that fits (see `EncodedPayload`). Compression runs off the event loop. */
export async function encodePayload(json: string): Promise<EncodedPayload> {
  if (Buffer.byteLength(json, 'utf8') <= MAX_PAYLOAD_BYTES) return { encoding: 'json', json };
  const compressed = await gzipAsync(Buffer.from(json, 'utf8'));
  if (compressed.byteLength <= MAX_PAYLOAD_BYTES) return { encoding: 'gzip', gzip: compressed };
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < compressed.byteLength; offset += MAX_PAYLOAD_BYTES) {
    chunks.push(compressed.subarray(offset, offset + MAX_PAYLOAD_BYTES));
  }
  return { encoding: 'gzip-chunks', chunks };
}

/** Joins the parts of a `gzip` or `gzip-chunks` payload and returns the JSON text. */
export async function decodeGzip(parts: readonly Uint8Array[]): Promise<string> {
  const joined = parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts);
  const text = await gunzipAsync(joined);
  return text.toString('utf8');
}
