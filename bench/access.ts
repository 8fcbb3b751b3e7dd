/**
 * What the access check costs per op [A3]: the role decision every submit makes before any other work,
 * on a document whose access record is cached (the steady state of an open document), and on a miss that
 * reads the record from SQLite. Prints figures; asserts nothing.
 */
import { Effect, Layer, ManagedRuntime } from 'effect';
import { AccessControl } from '../apps/server/src/access/AccessControl.js';
import type { Principal } from '../apps/server/src/access/principal.js';
import { Config, parseConfig } from '../apps/server/src/config.js';
import * as SqliteStore from '../apps/server/src/storage/sqlite/SqliteStore.js';
import { fmt } from './figures.js';

const layer = AccessControl.layer.pipe(
  Layer.provideMerge(SqliteStore.layer({ path: ':memory:' })),
  Layer.provideMerge(Layer.succeed(Config, parseConfig({}))),
);
const runtime = ManagedRuntime.make(layer);
const access = await runtime.runPromise(
  Effect.gen(function* () {
    return yield* AccessControl;
  }),
);
const owner: Principal = { kind: 'session', authorId: 's-owner', name: null, color: null };
const other: Principal = { kind: 'session', authorId: 's-other', name: null, color: null };

await runtime.runPromise(access.claim(owner, 'bench-doc'));
const key =
  (await runtime.runPromise(access.changeLink(owner, 'bench-doc', 'editor', 'rotate'))).links?.editor ??
  undefined;

function perCheck(label: string, check: () => Effect.Effect<unknown, unknown>, rounds: number) {
  for (let i = 0; i < 1000; i++) Effect.runSync(check());
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) Effect.runSync(check());
  const nanos = Number(process.hrtime.bigint() - started) / rounds;
  console.log(`${label.padEnd(52)} ${fmt(nanos / 1000, 2)} µs`);
}

console.log('access check per op (one core, in process)');
perCheck('owner, record cached', () => access.require(owner, 'bench-doc', undefined, 'editor'), 200_000);
perCheck('edit link holder, record cached', () => access.require(other, 'bench-doc', key, 'editor'), 200_000);
let n = 0;
perCheck(
  'record not cached (SQLite read, new document each time)',
  () => {
    const id = `miss-${n++}`;
    return access.require(owner, id, undefined, 'editor').pipe(Effect.catch(() => Effect.void));
  },
  20_000,
);
await runtime.dispose();
