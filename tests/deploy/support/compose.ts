/**
 * Reading the deploy files without Docker: docker-compose.yml (with compose's `${VAR:-default}`
 * interpolation), the Dockerfiles (stages and instructions) and .dockerignore (which paths of the
 * build context are excluded).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../support/repo.js';

export const composePath = join(repoRoot, 'docker-compose.yml');

export interface ComposeHealthcheck {
  test: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | { target: number; published?: string | number }>;
  expose?: Array<string | number>;
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: ComposeHealthcheck;
  container_name?: string;
  user?: string;
  working_dir?: string;
  restart?: string;
  stop_grace_period?: string;
  deploy?: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function readComposeText(): string {
  return readFileSync(composePath, 'utf8');
}

/**
 * Compose's interpolation: `$$` is a literal `$`; `${VAR}`, `$VAR`, `${VAR:-default}` (unset or
 * empty), `${VAR-default}` (unset), `${VAR:?message}` / `${VAR?message}` (required).
 */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name?: string, colon?: string, operator?: string, argument?: string, bare?: string) => {
      if (match === '$$') return '$';
      const variable = name ?? bare ?? '';
      const value = env[variable];
      const missing = value === undefined || (colon === ':' && value === '');
      if (operator === '-') return missing ? (argument ?? '') : (value ?? '');
      if (operator === '?' && missing) {
        throw new Error(`compose requires ${variable}: ${argument ?? ''}`);
      }
      return value ?? '';
    },
  );
}

/** Names of the variables docker-compose.yml reads from the shell or `.env`, with their defaults. */
export function composeVariables(text: string): Map<string, string | undefined> {
  const variables = new Map<string, string | undefined>();
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g)) {
    const [, name, fallback] = match;
    if (name) variables.set(name, fallback);
  }
  return variables;
}

/** The compose file as `docker compose config` would see it with `env` as the shell and `.env`. */
export function loadCompose(env: Readonly<Record<string, string | undefined>> = {}): ComposeFile {
  return parse(interpolate(readComposeText(), env)) as ComposeFile;
}

/** A service's environment as a plain map of strings (list or map form). */
export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, value == null ? '' : String(value)]),
  );
}

export function dependsOn(service: ComposeService): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, spec]) => [name, spec.condition]));
}

/** Reads `KEY=value` lines (comments and blank lines ignored), as compose reads `.env`. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`not a KEY=value line: ${line}`);
    env[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return env;
}

// ---- Dockerfiles ----------------------------------------------------------------------------

export interface DockerInstruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** Flags such as `--from=build`, `--chown=node`, `--mount=...`, in order. */
  flags: Record<string, string>;
  /** Arguments after the flags: JSON array items for the exec form, else split on spaces. */
  words: string[];
}

export interface DockerStage {
  name: string | undefined;
  image: string;
  instructions: DockerInstruction[];
}

export interface Dockerfile {
  /** `ARG name=default` before the first FROM. */
  globalArgs: Record<string, string>;
  stages: DockerStage[];
}

function splitWords(text: string): { flags: Record<string, string>; words: string[] } {
  const flags: Record<string, string> = {};
  let rest = text.trim();
  for (;;) {
    const flag = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(rest);
    if (!flag) break;
    flags[flag[1] ?? ''] = flag[2] ?? 'true';
    rest = rest.slice(flag[0].length);
  }
  if (rest.startsWith('[')) {
    try {
      const items = JSON.parse(rest) as unknown;
      if (Array.isArray(items)) return { flags, words: items.map(String) };
    } catch {
      // not JSON: shell form
    }
  }
  return { flags, words: rest.split(/\s+/).filter((word) => word !== '') };
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (current !== '' && line.trimStart().startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  if (current !== '') logical.push(current);

  const dockerfile: Dockerfile = { globalArgs: {}, stages: [] };
  for (const line of logical) {
    const match = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!match) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const args = (match[2] ?? '').trim();
    const { flags, words } = splitWords(args);
    if (keyword === 'FROM') {
      const image = (words[0] ?? '').replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => {
        return dockerfile.globalArgs[name] ?? '';
      });
      const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
      dockerfile.stages.push({
        name: asIndex === -1 ? undefined : words[asIndex + 1],
        image,
        instructions: [],
      });
      continue;
    }
    const stage = dockerfile.stages.at(-1);
    if (!stage) {
      if (keyword === 'ARG') {
        const [name, value] = args.split('=');
        if (name) dockerfile.globalArgs[name.trim()] = (value ?? '').trim();
      }
      continue;
    }
    stage.instructions.push({ keyword, args, flags, words });
  }
  return dockerfile;
}

// ---- .dockerignore ---------------------------------------------------------------------------

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether Docker leaves `path` (relative to the context, `/`-separated) out of the build context:
 * a pattern excludes a path when it matches the path or one of its parent directories; `!` lines
 * re-include; the last matching line wins.
 */
export function dockerIgnored(path: string, ignoreText: string): boolean {
  const rules = ignoreText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { negated, regexp: globToRegExp(pattern) };
    });
  const parts = path.split('/');
  const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (prefixes.some((prefix) => rule.regexp.test(prefix))) ignored = !rule.negated;
  }
  return ignored;
}
