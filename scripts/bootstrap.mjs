#!/usr/bin/env node
// Makes a fresh machine (Node 20 + npm only) ready to build and run the project.
// Idempotent and fast when nothing is missing, so `npm start` and `npm test` call it every time.
//   node scripts/bootstrap.mjs          pnpm + workspace dependencies
//   node scripts/bootstrap.mjs --test   also the system programs the test suites drive
//                                        (chromium, nginx, redis-server, java)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = rootManifest.packageManager.replace(/^pnpm@/, '');

function log(message) {
  process.stdout.write(`[bootstrap] ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
  }
}

function commandVersion(command) {
  try {
    return execFileSync(command, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function ensurePnpm() {
  if (commandVersion('pnpm') === pnpmVersion) return;
  log(`installing pnpm@${pnpmVersion}`);
  run('npm', ['install', '--global', `pnpm@${pnpmVersion}`]);
}

/** A stamp of every manifest and the lockfile: dependencies are installed again only when it changes. */
function dependencyStamp() {
  const hash = createHash('sha256');
  const files = ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json'];
  for (const group of ['apps', 'packages']) {
    for (const name of readdirSafe(join(root, group))) files.push(join(group, name, 'package.json'));
  }
  for (const file of files) {
    const path = join(root, file);
    if (existsSync(path)) hash.update(file).update(readFileSync(path));
  }
  return hash.digest('hex');
}

function readdirSafe(dir) {
  return existsSync(dir) ? readdirSync(dir) : [];
}

function ensureDependencies() {
  const stampFile = join(root, 'node_modules', '.bootstrap-stamp');
  const stamp = dependencyStamp();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  log('installing workspace dependencies');
  // better-sqlite3 compiles against this machine's Node headers when no prebuilt binary fits.
  const env = { ...process.env };
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  run('pnpm', ['install', ...frozen], { env });
  writeFileSync(stampFile, dependencyStamp());
}

/** System programs the test suites start for real (never mocks). */
const testPrograms = [
  { command: 'chromium', check: '/usr/bin/chromium', apt: 'chromium' },
  { command: 'nginx', check: '/usr/sbin/nginx', apt: 'nginx' },
  { command: 'redis-server', check: '/usr/bin/redis-server', apt: 'redis-server' },
  { command: 'java', check: '/usr/bin/java', apt: 'openjdk-17-jre-headless' },
];

function ensureTestPrograms() {
  const missing = testPrograms.filter((p) => !existsSync(p.check));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.apt);
  if (process.getuid?.() !== 0) {
    throw new Error(`missing test programs: ${names.join(', ')}; install them with apt-get (needs root)`);
  }
  log(`installing ${names.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env });
}

try {
  ensurePnpm();
  ensureDependencies();
  if (process.argv.includes('--test')) ensureTestPrograms();
} catch (error) {
  process.stderr.write(`[bootstrap] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
