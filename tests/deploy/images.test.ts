/**
 * The images' workspace steps, replayed without Docker (see support/rehearsal.ts): each Dockerfile's
 * stages install and build from exactly the files it copies, and its runtime stage, production
 * dependencies and compiled output only, starts with the image's CMD and passes its HEALTHCHECK.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@collab/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnManaged, waitUntil } from './support/processes.js';
import { type RehearsedImage, rehearseDockerfile } from './support/rehearsal.js';
import { workspacePackages } from './support/workspace.js';

const apps = [
  { app: 'server', dir: 'apps/server' },
  { app: 'web', dir: 'apps/web' },
] as const;

describe.each(apps)('the $app image, rehearsed without Docker', ({ app, dir }) => {
  let image: RehearsedImage;

  beforeAll(async () => {
    image = await rehearseDockerfile(`${dir}/Dockerfile`);
  }, 400_000);

  afterAll(async () => {
    await image?.remove();
  });

  it('holds production dependencies only', () => {
    const pkg = [...workspacePackages().values()].find((p) => p.name === `@collab/${app}`);
    if (!pkg) throw new Error(`no workspace package @collab/${app}`);
    for (const name of Object.keys(pkg.dependencies)) {
      expect(existsSync(join(image.workdir, dir, 'node_modules', name)), name).toBe(true);
    }
    for (const name of Object.keys(pkg.devDependencies)) {
      expect(existsSync(join(image.workdir, dir, 'node_modules', name)), name).toBe(false);
    }
    const rootManifest = JSON.parse(readFileSync(join(image.workdir, 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    for (const name of Object.keys(rootManifest.devDependencies ?? {})) {
      expect(existsSync(join(image.workdir, 'node_modules', name)), name).toBe(false);
    }
  });

  it('runs as a non-root user', () => {
    expect(image.user).toBeDefined();
    expect(['root', '0']).not.toContain(image.user);
  });

  it('starts with its CMD, passes its HEALTHCHECK and stops cleanly on SIGTERM', async () => {
    const port = String(await freePort());
    const env = {
      ...image.env,
      PORT: port,
      HOST: '127.0.0.1',
      // The server's embedded store, in the image's data directory.
      SQLITE_PATH: join(image.workdir, 'data', 'collab.sqlite'),
    };
    const [command = '', ...args] = image.cmd;
    const child = spawnManaged(`${app} image`, command, args, { env, cwd: image.workdir });
    try {
      const [check = '', ...checkArgs] = image.healthcheck;
      await waitUntil(
        `the ${app} image's health check`,
        () =>
          new Promise<boolean>((resolve) => {
            const probe = spawnManaged(`${app} health check`, check, checkArgs, { env, cwd: image.workdir });
            void probe.exited.then((code) => resolve(code === 0));
          }),
        { process: child, timeoutMs: 60_000 },
      );
      expect(await child.stop('SIGTERM'), child.output()).toBe(0);
    } finally {
      await child.stop('SIGKILL');
    }
  });
});
