import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '@collab/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/repo.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';

let server: SqliteServer;
let build: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  // A copy of the web build that the test can change under the running server.
  build = await tempDir('collab-web-build-');
  await cp(join(repoRoot, 'apps/web/build'), build.path, { recursive: true });
  server = await startSqliteServer({ WEB_BUILD_DIR: build.path });
});
afterAll(async () => {
  await server?.stopAndRemove();
  await build?.remove();
});

describe('[L4] no request can end the process', () => {
  it('[L4] a static file that vanished while the server runs is a 404, and the server goes on serving', async () => {
    const assets = join(build.path, 'client/_app/immutable/assets');
    const css = (await readdir(assets)).find((name) => name.endsWith('.css'));
    expect(css).toBeDefined();
    const url = `${server.httpUrl}/_app/immutable/assets/${css}`;
    const first = await fetch(url);
    await first.arrayBuffer();
    expect(first.status).toBe(200);

    // The build is replaced under the server: the file and its precompressed copies are gone.
    for (const suffix of ['', '.gz', '.br']) await rm(join(assets, `${css}${suffix}`), { force: true });
    for (const encoding of ['identity', 'gzip, br']) {
      const gone = await fetch(url, { headers: { 'accept-encoding': encoding } });
      await gone.arrayBuffer();
      expect(gone.status).toBe(404);
    }
    expect(server.child.exitCode).toBeNull();
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const page = await fetch(`${server.httpUrl}/`);
    await page.text();
    expect(page.status).toBe(200);
  });
});
