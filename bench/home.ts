/**
 * What the documents home costs [H3]: `home.list` for one owner with 10,000 documents, on SQLite and on
 * DynamoDB Local, through the Home service in process (the storage reads, the sort and the search).
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Effect } from 'effect';
import type { Principal } from '../apps/server/src/access/principal.js';
import { makeApp } from '../apps/server/src/app.js';
import { parseConfig } from '../apps/server/src/config.js';
import { DocumentStore } from '../apps/server/src/storage/DocumentStore.js';
import { dynamoDbServerEnv, startDynamoDbLocal } from '../apps/server/test/support/index.js';
import { fmt, percentile } from './figures.js';

const documents = 10_000;
const rounds = 5;
const owner: Principal = { kind: 'session', authorId: 's-bench-owner', name: 'Bench', color: null };

async function measure(label: string, env: Record<string, string>) {
  const { runtime, services } = makeApp(parseConfig(env));
  const { home } = await services;
  const store = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* DocumentStore;
    }),
  );
  const started = Date.now();
  await runtime.runPromise(
    Effect.forEach(
      Array.from({ length: documents }, (_, index) => index),
      (index) => {
        const docId = `bench-home-${index}`;
        return store
          .createEntry({
            docId,
            ownerId: owner.authorId,
            title: null,
            firstLine: `Document number ${index}`,
            createdAt: index,
            lastEditAt: 1_700_000_000_000 + index,
            lastEditorName: 'Bench',
            trashedAt: null,
            deletedAt: null,
          })
          .pipe(Effect.andThen(store.recordVisit(owner.authorId, docId, index)));
      },
      { concurrency: 16, discard: true },
    ),
  );
  console.log(`${label}: seeded ${documents} documents in ${fmt((Date.now() - started) / 1000)} s`);
  for (const [what, input] of [
    ['list, first 100', {}],
    ['search "number 99"', { search: 'number 99' }],
  ] as const) {
    const times: number[] = [];
    let total = 0;
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      total = (await runtime.runPromise(home.list(owner, input))).total;
      times.push(performance.now() - start);
    }
    console.log(
      `${label.padEnd(16)} ${what.padEnd(22)} median ${fmt(percentile(times, 50))} ms  max ${fmt(Math.max(...times))} ms  (${total} matched)`,
    );
  }
  await runtime.dispose();
}

const dir = mkdtempSync(join(tmpdir(), 'collab-home-bench-'));
try {
  await measure('SQLite', { STORAGE: 'sqlite', SQLITE_PATH: join(dir, 'home.sqlite') });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const dynamo = await startDynamoDbLocal();
try {
  const env = dynamoDbServerEnv(dynamo.endpoint);
  // The SDK reads its credentials from the process environment.
  Object.assign(process.env, env);
  await measure('DynamoDB Local', env);
} finally {
  await dynamo.stop();
}
