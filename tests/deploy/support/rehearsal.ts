/**
 * A Dockerfile's workspace steps replayed on this machine, without Docker: each stage gets its own
 * directory standing for the container's filesystem; COPY (from the build context, minus
 * .dockerignore, or from an earlier stage), WORKDIR and ENV are followed as written, and the `pnpm`
 * RUN steps run there (offline, from this machine's pnpm store, which the root install filled). The
 * other RUN steps set up the image's system (apt packages, pnpm itself, users, directories): this
 * machine already has what they install, so they are skipped.
 *
 * What it proves: the files the Dockerfile copies are enough to install and build, and the runtime
 * stage it assembles (production dependencies plus compiled output) starts and passes its health check.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../../support/repo.js';
import { type DockerInstruction, dockerIgnored, parseDockerfile } from './compose.js';

export interface RehearsedImage {
  /** The final stage's filesystem. */
  readonly root: string;
  /** WORKDIR of the final stage, inside `root`. */
  readonly workdir: string;
  /** ENV of the final stage. */
  readonly env: Record<string, string>;
  readonly cmd: string[];
  /** The HEALTHCHECK's CMD (exec form). */
  readonly healthcheck: string[];
  readonly user: string | undefined;
  /** Removes every stage's directory. */
  remove(): Promise<void>;
}

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
}

/** node-gyp uses the Node headers of this machine (the image's live in /usr/local). */
function machineNodedir(): string | undefined {
  if (existsSync('/usr/include/node/node.h')) return '/usr';
  if (existsSync('/usr/local/include/node/node.h')) return '/usr/local';
  return undefined;
}

function runShell(command: string, cwd: string, env: Record<string, string>, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      log.push(`$ ${command}\n${output}`);
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command} failed (exit ${code}):\n${output.slice(-8000)}`));
    });
  });
}

/** `pnpm install` as written, offline and from this machine's store instead of the cache mount. */
function localPnpmCommand(command: string): string {
  let local = command.replace(/\s--store-dir\s+\S+/g, '');
  if (/\bpnpm install\b/.test(local)) local = local.replace(/\bpnpm install\b/, 'pnpm install --offline');
  return local;
}

function inside(stage: StageState, path: string): string {
  const absolute = path.startsWith('/') ? path : join(stage.workdir, path);
  return join(stage.root, absolute);
}

async function copy(
  instruction: DockerInstruction,
  stage: StageState,
  stages: Map<string, StageState>,
  dockerIgnore: string,
): Promise<void> {
  const sources = instruction.words.slice(0, -1);
  const destination = instruction.words.at(-1) ?? '.';
  const from = instruction.flags.from;
  const source = from === undefined ? undefined : stages.get(from);
  if (from !== undefined && !source) throw new Error(`COPY --from=${from}: no such stage`);
  for (const path of sources) {
    const src = source ? join(source.root, path) : join(repoRoot, path);
    if (!existsSync(src)) throw new Error(`COPY ${path}: not found`);
    const dest = inside(stage, destination);
    // Several sources, or a destination ending in `/`, name a directory to copy into.
    const intoDirectory = sources.length > 1 || destination.endsWith('/') || destination === '.';
    const isDirectory = (await stat(src)).isDirectory();
    const target = isDirectory || !intoDirectory ? dest : join(dest, path.split('/').at(-1) ?? path);
    await mkdir(isDirectory ? target : join(target, '..'), { recursive: true });
    await cp(src, target, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (file) => source !== undefined || !dockerIgnored(relative(repoRoot, file) || '.', dockerIgnore),
    });
  }
}

/** Replays `dockerfilePath` (relative to the repository root) and returns its final stage. */
export async function rehearseDockerfile(dockerfilePath: string): Promise<RehearsedImage> {
  const dockerfile = parseDockerfile(await readFile(join(repoRoot, dockerfilePath), 'utf8'));
  const dockerIgnore = await readFile(join(repoRoot, '.dockerignore'), 'utf8');
  const base = await mkdtemp(join(tmpdir(), 'collab-image-'));
  const stages = new Map<string, StageState>();
  const log: string[] = [];
  const nodedir = machineNodedir();
  let last: StageState | undefined;
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  let user: string | undefined;
  try {
    for (const [index, spec] of dockerfile.stages.entries()) {
      const parent = stages.get(spec.image);
      const root = join(base, `${index}-${spec.name ?? 'stage'}`);
      const stage: StageState = parent
        ? { root, workdir: parent.workdir, env: { ...parent.env } }
        : { root, workdir: '/', env: {} };
      if (parent) await cp(parent.root, root, { recursive: true, verbatimSymlinks: true });
      else await mkdir(root, { recursive: true });
      for (const instruction of spec.instructions) {
        switch (instruction.keyword) {
          case 'WORKDIR':
            stage.workdir = instruction.words[0] ?? '/';
            await mkdir(inside(stage, '.'), { recursive: true });
            break;
          case 'ENV':
            for (const [, key, value] of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) {
              if (key) stage.env[key] = value ?? '';
            }
            break;
          case 'COPY':
            await copy(instruction, stage, stages, dockerIgnore);
            break;
          case 'RUN': {
            const command = instruction.words.join(' ');
            if (!/^pnpm\s/.test(command)) break;
            const env = { ...stage.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) };
            await runShell(localPnpmCommand(command), inside(stage, '.'), env, log);
            break;
          }
          case 'CMD':
            cmd = instruction.words;
            break;
          case 'HEALTHCHECK': {
            const at = instruction.words.indexOf('CMD');
            healthcheck = at === -1 ? [] : JSON.parse(instruction.args.slice(instruction.args.indexOf('[')));
            break;
          }
          case 'USER':
            user = instruction.words[0];
            break;
        }
      }
      if (spec.name) stages.set(spec.name, stage);
      last = stage;
    }
  } catch (error) {
    await rm(base, { recursive: true, force: true });
    throw error;
  }
  if (!last) throw new Error(`${dockerfilePath} has no stage`);
  return {
    root: last.root,
    workdir: inside(last, '.'),
    env: last.env,
    cmd,
    healthcheck,
    user,
    remove: () => rm(base, { recursive: true, force: true }),
  };
}
