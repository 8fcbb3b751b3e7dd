/**
 * Runs Debian's nginx with the repository's own config (nginx/templates/default.conf.template), the
 * way the official nginx image runs it in docker compose: the template is rendered with envsubst
 * semantics (only variables that are defined are substituted) and included inside `http {}` of a
 * main config shaped like the image's nginx.conf. Everything nginx writes (pid, logs, temp files)
 * goes to a temp directory, so it runs without root-owned paths.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@collab/server/testing';
import { repoRoot } from './repo.js';

export const nginxTemplateDir = join(repoRoot, 'nginx', 'templates');
export const nginxTemplatePath = join(nginxTemplateDir, 'default.conf.template');
export const nginxBinary = '/usr/sbin/nginx';
const mimeTypesPath = '/etc/nginx/mime.types';

/** Names of shell variables envsubst recognises: `$NAME` or `${NAME}`. */
const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Renders a template as the official image's `20-envsubst-on-templates.sh` does: every `$NAME` and
 * `${NAME}` whose NAME is defined in `env` is replaced by its value; everything else (nginx's own
 * `$host`, `$http_upgrade` ...) is left exactly as written.
 */
export function renderTemplate(template: string, env: Readonly<Record<string, string | undefined>>): string {
  return template.replace(variablePattern, (match, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = env[name];
    return value === undefined ? match : value;
  });
}

/** Environment variables a template references in the `${NAME}` form (the form nginx variables never use). */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (match[1]) names.add(match[1]);
  }
  return [...names].sort();
}

export interface StartNginxOptions {
  /** `host:port` of each server instance, and of the web app. */
  upstreams: { server: string[]; web: string };
  /**
   * Further template variables (e.g. NGINX_CLIENT_MAX_BODY_SIZE as docker-compose.yml sets it).
   * The listen address and the upstreams are always the ones of this run.
   */
  env?: Record<string, string>;
}

export interface RunningNginx {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** The rendered server-level config, as nginx loaded it. */
  config: string;
  /** What nginx wrote to its error log so far. */
  errorLog(): Promise<string>;
  /** Access log lines so far: `METHOD URI STATUS UPSTREAM_ADDRESSES`. */
  accessLog(): Promise<string[]>;
  /** Stops nginx (fast shutdown: open sockets are closed; SIGKILL if it hangs) and removes its temp directory. */
  stop(): Promise<void>;
}

/** Defaults for template variables that are not addresses; docker-compose.yml sets the same. */
const defaultTemplateEnv: Record<string, string> = {
  NGINX_CLIENT_MAX_BODY_SIZE: '16m',
};

function mainConfig(dir: string): string {
  // Shaped like the official image's /etc/nginx/nginx.conf, with every path in `dir`.
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;

events {
    worker_connections 1024;
}

http {
    include ${mimeTypesPath};
    default_type application/octet-stream;
    # Which instance served each request (tests read it to see the balancing).
    log_format upstreams '$request_method $request_uri $status $upstream_addr';
    access_log ${dir}/access.log upstreams;
    sendfile on;
    keepalive_timeout 65;

    client_body_temp_path ${dir}/temp/client_body;
    proxy_temp_path ${dir}/temp/proxy;
    fastcgi_temp_path ${dir}/temp/fastcgi;
    uwsgi_temp_path ${dir}/temp/uwsgi;
    scgi_temp_path ${dir}/temp/scgi;

    include ${dir}/conf.d/*.conf;
}
`;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // A test run that dies without calling stop() must not leave nginx behind.
  for (const child of running) child.kill('SIGTERM');
});

/**
 * Template variables for nginx on this machine: `options.env` (values that are not addresses, such as
 * docker-compose.yml's), with the listen address and the upstreams of this run.
 */
export function localTemplateEnv(options: StartNginxOptions, listen: string): Record<string, string> {
  return {
    ...defaultTemplateEnv,
    ...options.env,
    NGINX_PORT: listen,
    // Never consulted here: the upstreams below are addresses, not names.
    NGINX_RESOLVER: '127.0.0.1',
    SERVER_UPSTREAM: options.upstreams.server.map((address) => `server ${address};`).join(' '),
    WEB_UPSTREAM: `server ${options.upstreams.web};`,
  };
}

/** Renders the template for this run and starts nginx on a free 127.0.0.1 port; resolves once it answers. */
export async function startNginx(options: StartNginxOptions): Promise<RunningNginx> {
  if (!existsSync(nginxBinary)) {
    throw new Error(
      `${nginxBinary} is missing: run \`node scripts/bootstrap.mjs --test\` (installs Debian's nginx)`,
    );
  }
  if (options.upstreams.server.length === 0) throw new Error('startNginx needs at least one server upstream');
  const template = await readFile(nginxTemplatePath, 'utf8');

  let lastError: unknown;
  // The free port is found before nginx binds it; retry in the rare case another process took it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const env = localTemplateEnv(options, `127.0.0.1:${port}`);
    const config = renderTemplate(template, env);
    const missing = templateVariables(config);
    if (missing.length > 0) throw new Error(`nginx template variables left undefined: ${missing.join(', ')}`);
    try {
      return await launch(port, config);
    } catch (error) {
      lastError = error;
      if (!String(error).includes('Address already in use')) throw error;
    }
  }
  throw lastError;
}

/** Writes the main config and the rendered server-level config into a new temp directory. */
async function prepare(config: string): Promise<{ dir: string; confPath: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'collab-nginx-'));
  // Run as root, nginx's workers switch to an unprivileged user: they must reach the temp paths.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'conf.d'));
  await mkdir(join(dir, 'temp'));
  await writeFile(join(dir, 'conf.d', 'default.conf'), config);
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, mainConfig(dir));
  return { dir, confPath };
}

/** `nginx -t` on a rendered server-level config inside the test main config: syntax and semantics, no start. */
export async function checkNginxConfig(config: string): Promise<{ ok: boolean; output: string }> {
  const { dir, confPath } = await prepare(config);
  try {
    const result = spawnSync(nginxBinary, ['-t', '-p', dir, '-c', confPath], { encoding: 'utf8' });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function launch(port: number, config: string): Promise<RunningNginx> {
  const { dir, confPath } = await prepare(config);

  const child = spawn(nginxBinary, ['-p', dir, '-c', confPath, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolveExit(code);
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const readLog = async (name: string) => {
    const file = join(dir, name);
    return existsSync(file) ? readFile(file, 'utf8') : '';
  };
  const errorLog = () => readLog('error.log');
  const accessLog = async () => (await readLog('access.log')).split('\n').filter((line) => line !== '');

  const stop = async () => {
    if (!hasExited) {
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (hasExited) {
      const log = await errorLog();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`nginx exited at start:\n${stderr}\n${log}`);
    }
    try {
      const response = await fetch(`${url}/nginx-health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const log = await errorLog();
      await stop();
      throw new Error(`nginx did not answer on ${url}:\n${stderr}\n${log}`);
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }

  return { url, port, config, errorLog, accessLog, stop };
}
