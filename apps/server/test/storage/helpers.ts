import { createHash, randomUUID } from 'node:crypto';
import type { Op } from '@collab/protocol';
import { Effect, type Layer, ManagedRuntime } from 'effect';
import { DocumentStore, type StoredOp } from '../../src/storage/DocumentStore.js';

export type Store = DocumentStore['Service'];

export interface OpenStore {
  readonly store: Store;
  /** Tears the layer down, which closes the store. */
  dispose(): Promise<void>;
}

/** Builds a store layer outside any Effect program, the way the contract tests (and a host app) use it. */
export async function openStore(layer: Layer.Layer<DocumentStore, unknown>): Promise<OpenStore> {
  const runtime = ManagedRuntime.make(layer);
  const store = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* DocumentStore;
    }),
  );
  return { store, dispose: () => runtime.dispose() };
}

/** Runs a store call that must succeed. */
export function run<A, E>(effect: Effect.Effect<A, E>): Promise<A> {
  return Effect.runPromise(effect);
}

/** Runs a store call that must fail with a typed error, and returns that error. */
export function runFailure<A, E>(effect: Effect.Effect<A, E>): Promise<E> {
  return Effect.runPromise(Effect.flip(effect));
}

/** A document id no other test uses, valid under [D3]. */
export function newDocId(label: string): string {
  return `${label}-${randomUUID()}`;
}

/** A small op for version `version` of `docId`; tests that need real deltas build their own. */
export function sampleOp(docId: string, version: number, clientId = 'client-a'): StoredOp {
  return {
    docId,
    version,
    ops: [{ retain: version }, { insert: `v${version} by ${clientId}`, attributes: { bold: true } }],
    clientId,
    seq: version * 10,
    createdAt: 1_700_000_000_000 + version,
  };
}

/**
 * `bytes` characters of random lowercase "words" from a seeded generator: text that looks like prose to
 * the storage but compresses only about 2:1, so large-document paths (compression, chunking) really run.
 */
export function randomWords(bytes: number, seed = 1): string {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: deterministic, so a failing size or boundary reproduces exactly.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const parts: string[] = [];
  let length = 0;
  while (length <= bytes) {
    const wordLength = 1 + (next() % 10);
    let word = '';
    for (let i = 0; i < wordLength; i++) word += String.fromCharCode(97 + (next() % 26));
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}

/** A document of about `bytes` characters in formatted runs, ending in "\n" [D1]. */
export function largeDocument(bytes: number, seed = 1): Op[] {
  const text = randomWords(bytes, seed);
  const run = 50_000;
  const ops: Op[] = [];
  for (let offset = 0; offset < text.length; offset += run) {
    const attributes: Record<string, string | boolean> =
      (offset / run) % 2 === 0 ? { bold: true } : { italic: true, color: '#cc0000' };
    ops.push({ insert: text.slice(offset, offset + run), attributes });
  }
  ops.push({ insert: '\n' });
  return ops;
}

/** A short, comparable fingerprint of a large value, so a failed comparison does not print megabytes. */
export function fingerprint(value: unknown): string {
  const json = JSON.stringify(value);
  return `${json.length}:${createHash('sha256').update(json).digest('hex')}`;
}
