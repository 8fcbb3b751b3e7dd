/**
 * The container deploy, checked without a Docker engine: docker-compose.yml is parsed and checked
 * for what `docker compose up --scale server=N` relies on, the Dockerfiles for what `docker build`
 * relies on, and the nginx template for what the official image's entrypoint relies on. Running
 * each service without containers is the job of stack.test.ts and nginx.test.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkNginxConfig,
  localTemplateEnv,
  nginxTemplatePath,
  renderTemplate,
  templateVariables,
} from '../support/nginx.js';
import { repoRoot } from '../support/repo.js';
import {
  type ComposeService,
  composeVariables,
  dependsOn,
  dockerIgnored,
  interpolate,
  loadCompose,
  parseDockerfile,
  parseEnvFile,
  readComposeText,
  serviceEnvironment,
} from './support/compose.js';
import { nativeServiceNames } from './support/stack.js';
import { rootManifest, workspaceClosure, workspacePackages } from './support/workspace.js';

const compose = loadCompose();
const services = compose.services;
const template = readFileSync(nginxTemplatePath, 'utf8');
const dockerIgnore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8');

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function env(name: string): Record<string, string> {
  return serviceEnvironment(service(name));
}

/** `host:port` or `port` of a compose `ports` entry, published side and container side. */
function portMappings(svc: ComposeService): Array<{ published: string | undefined; target: number }> {
  return (svc.ports ?? []).map((entry) => {
    if (typeof entry === 'object') return { published: entry.published?.toString(), target: entry.target };
    const parts = entry.split(':');
    return { published: parts.length > 1 ? parts.at(-2) : undefined, target: Number(parts.at(-1)) };
  });
}

function volumeMounts(svc: ComposeService): Array<{ source: string; target: string; readOnly: boolean }> {
  return (svc.volumes ?? []).map((entry) => {
    if (typeof entry === 'object') {
      return { source: entry.source, target: entry.target, readOnly: entry.read_only === true };
    }
    const [source = '', target = '', mode = ''] = entry.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

function healthcheckCommand(svc: ComposeService): string {
  const test = svc.healthcheck?.test;
  if (test !== undefined && !Array.isArray(test) && typeof test !== 'string') {
    throw new Error(`health check test must be a string or a list of strings: ${JSON.stringify(test)}`);
  }
  if (Array.isArray(test) && !test.every((word) => typeof word === 'string')) {
    throw new Error(
      `health check test has a word that YAML did not read as a string: ${JSON.stringify(test)}`,
    );
  }
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

/** `1.27.3` → [1, 27, 3]; missing parts are 0. */
function versionOf(text: string): number[] {
  return text.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

function atLeast(version: number[], minimum: number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const a = version[i] ?? 0;
    const b = minimum[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

describe('docker-compose.yml', () => {
  it('defines the services nginx, web, server, redis and dynamodb', () => {
    expect(Object.keys(services).sort()).toEqual(['dynamodb', 'nginx', 'redis', 'server', 'web']);
  });

  it('[T1] runs every service it defines without containers in a test as well', () => {
    expect([...nativeServiceNames].sort()).toEqual(Object.keys(services).sort());
  });

  it('publishes nginx on port 80 of the host unless NGINX_HOST_PORT says otherwise', () => {
    const nginx = service('nginx');
    expect(portMappings(nginx)).toEqual([{ published: '80', target: 80 }]);
    expect(env('nginx').NGINX_PORT).toBe('80');
    const moved = loadCompose({ NGINX_HOST_PORT: '8080' }).services.nginx;
    expect(moved && portMappings(moved)).toEqual([{ published: '8080', target: 80 }]);
  });

  it("mounts the repository's nginx templates where the official image renders them", () => {
    const nginx = service('nginx');
    expect(nginx.image).toMatch(/^nginx:/);
    const mount = volumeMounts(nginx).find((volume) => volume.target === '/etc/nginx/templates');
    expect(mount).toBeDefined();
    expect(mount?.readOnly).toBe(true);
    const source = join(repoRoot, mount?.source ?? '');
    expect(statSync(source).isDirectory()).toBe(true);
    // The image renders every *.template in the folder into conf.d; ours is the default server.
    expect(readdirSync(source).filter((file) => file.endsWith('.template'))).toEqual([
      'default.conf.template',
    ]);
    expect(join(source, 'default.conf.template')).toBe(nginxTemplatePath);
  });

  it('defines every variable the nginx template uses (envsubst leaves undefined ones as written)', () => {
    const defined = env('nginx');
    const variables = templateVariables(template);
    expect(variables).toEqual(
      expect.arrayContaining(['NGINX_PORT', 'NGINX_RESOLVER', 'SERVER_UPSTREAM', 'WEB_UPSTREAM']),
    );
    expect(variables.filter((name) => defined[name] === undefined || defined[name] === '')).toEqual([]);
    expect(templateVariables(renderTemplate(template, defined))).toEqual([]);
  });

  it("[S4] balances over every server replica: Docker's DNS name `server`, re-resolved by nginx", () => {
    const nginxEnv = env('nginx');
    expect(nginxEnv.NGINX_RESOLVER).toBe('127.0.0.11');
    expect(nginxEnv.SERVER_UPSTREAM).toBe(`server server:${env('server').PORT} resolve;`);
    expect(nginxEnv.WEB_UPSTREAM).toBe(`server web:${env('web').PORT} resolve;`);
    // `resolve` in an upstream needs nginx 1.27.3 or later, and a shared-memory zone.
    const tag = /^nginx:(\d+(?:\.\d+)*)/.exec(service('nginx').image ?? '')?.[1] ?? '0';
    expect(atLeast(versionOf(tag), [1, 27, 3])).toBe(true);
    for (const upstream of ['collab_server', 'collab_web']) {
      const block = new RegExp(`upstream ${upstream} \\{[^}]*zone ${upstream} \\d+k;`);
      expect(template).toMatch(block);
    }
  });

  it('lets the server scale: no container name, no host port, its port exposed to nginx', () => {
    const server = service('server');
    expect(server.container_name).toBeUndefined();
    expect(server.ports).toBeUndefined();
    expect((server.expose ?? []).map(String)).toEqual([env('server').PORT]);
    expect(env('server').HOST).toBe('0.0.0.0');
    // Only nginx is reachable from the host.
    for (const [name, svc] of Object.entries(services)) {
      if (name !== 'nginx') expect(svc.ports, name).toBeUndefined();
    }
  });

  it('builds web and server from Dockerfiles that exist, with the workspace root as context', () => {
    for (const name of ['server', 'web']) {
      const build = service(name).build;
      expect(typeof build, name).toBe('object');
      if (typeof build !== 'object' || build === undefined) continue;
      const context = join(repoRoot, build.context);
      expect(context).toBe(join(repoRoot, '.'));
      expect(existsSync(join(context, 'pnpm-workspace.yaml'))).toBe(true);
      expect(build.dockerfile).toBe(`apps/${name}/Dockerfile`);
      expect(existsSync(join(context, build.dockerfile ?? ''))).toBe(true);
    }
  });

  it('has a health check on every service, and starts each one after the services it needs are healthy', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(healthcheckCommand(svc), name).not.toBe('');
    }
    expect(healthcheckCommand(service('server'))).toContain(`http://127.0.0.1:${env('server').PORT}/healthz`);
    expect(healthcheckCommand(service('web'))).toContain(`http://127.0.0.1:${env('web').PORT}/`);
    expect(healthcheckCommand(service('nginx'))).toContain(
      `http://127.0.0.1:${env('nginx').NGINX_PORT}/nginx-health`,
    );
    expect(template).toMatch(/location = \/nginx-health \{[^}]*return 200/);
    expect(dependsOn(service('nginx'))).toEqual({ server: 'service_healthy', web: 'service_healthy' });
    expect(dependsOn(service('server'))).toEqual({ redis: 'service_healthy', dynamodb: 'service_healthy' });
  });

  it('configures the server for DynamoDB and Redis by their service names', () => {
    const serverEnv = env('server');
    expect(serverEnv.STORAGE).toBe('dynamodb');
    expect(serverEnv.DYNAMODB_ENDPOINT).toBe('http://dynamodb:8000');
    expect(serverEnv.REDIS_URL).toBe('redis://redis:6379');
    expect(serverEnv.DYNAMODB_CREATE_TABLES).toBe('true');
    // The old system's table name is kept (docs/SPEC.md §5).
    expect(serverEnv.DYNAMODB_TABLE).toBe('SocketDocuments');
    expect(serverEnv.DYNAMODB_OPS_TABLE).toBe('SocketDocumentOps');
    expect((service('redis').expose ?? []).map(String)).toEqual(['6379']);
    expect((service('dynamodb').expose ?? []).map(String)).toEqual(['8000']);
  });

  it('sets only variables the server reads (or the AWS SDK reads for it)', () => {
    const configSource = ['apps/server/src/config.ts', 'apps/server/src/limits/settings.ts']
      .map((file) => readFileSync(join(repoRoot, file), 'utf8'))
      .join('\n');
    const sdkVariables = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
    for (const name of Object.keys(env('server'))) {
      if (sdkVariables.includes(name)) continue;
      expect(configSource, name).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });

  it('keeps DynamoDB Local data on a named volume', () => {
    const dynamodb = service('dynamodb');
    expect(dynamodb.image).toMatch(/^amazon\/dynamodb-local:/);
    const command = Array.isArray(dynamodb.command) ? dynamodb.command : (dynamodb.command ?? '').split(' ');
    const dbPath = command[command.indexOf('-dbPath') + 1];
    expect(command).toContain('-sharedDb');
    expect(command).not.toContain('-inMemory');
    const mount = volumeMounts(dynamodb).find((volume) => volume.target === dbPath);
    expect(mount?.source).toBe('dynamodb-data');
    expect(Object.keys(compose.volumes ?? {})).toContain('dynamodb-data');
  });

  it('tells the web app to trust the forwarded headers nginx sets', () => {
    const webEnv = env('web');
    const setHeaders = [...template.matchAll(/proxy_set_header\s+(\S+)/g)].map((match) =>
      match[1]?.toLowerCase(),
    );
    for (const variable of ['PROTOCOL_HEADER', 'HOST_HEADER', 'ADDRESS_HEADER']) {
      expect(setHeaders, variable).toContain(webEnv[variable]);
    }
    // adapter-node refuses to start on an empty ORIGIN; the headers above replace it.
    expect(webEnv.ORIGIN).toBeUndefined();
  });

  it('[A6] the server trusts forwarding headers from nginx only, and nginx drops a Forwarded header the client wrote', () => {
    expect(env('server').TRUST_PROXY).toBe('uniquelocal');
    expect(template).toMatch(/proxy_set_header Forwarded "";/);
    expect(template).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  });

  it('gives the server time to shut down gracefully on SIGTERM [S5]', () => {
    const grace = service('server').stop_grace_period ?? '';
    expect(grace).toMatch(/^\d+s$/);
    expect(Number.parseInt(grace, 10)).toBeGreaterThanOrEqual(15);
  });
});

describe('.env.example', () => {
  const example = parseEnvFile(readFileSync(join(repoRoot, '.env.example'), 'utf8'));
  const variables = composeVariables(readComposeText());

  it("documents every variable docker-compose.yml reads, with compose's default", () => {
    expect(variables.size).toBeGreaterThan(0);
    for (const [name, fallback] of variables) {
      expect(example, name).toHaveProperty(name);
      expect(example[name], name).toBe(fallback);
    }
    expect(Object.keys(example).filter((name) => !variables.has(name))).toEqual([]);
  });

  it('as a `.env`, gives the same deploy as no `.env` at all', () => {
    expect(loadCompose(example)).toEqual(loadCompose({}));
  });

  it('is not committed as a real `.env`', () => {
    expect(readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n')).toContain('.env');
    expect(dockerIgnored('.env', dockerIgnore)).toBe(true);
  });
});

describe('compose interpolation (as used by these checks)', () => {
  it('substitutes defaults, values and escapes like docker compose', () => {
    const env = { SET: 'value', EMPTY: '' };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose and envsubst syntax, not a JS template
    expect(interpolate('${SET:-x} ${UNSET:-x} ${EMPTY:-x} ${EMPTY-x} $SET $$SET', env)).toBe(
      'value x x  value $SET',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose and envsubst syntax, not a JS template
    expect(() => interpolate('${UNSET:?needed}', env)).toThrow(/UNSET/);
  });
});

const dockerfiles = {
  server: { dockerfile: 'apps/server/Dockerfile', cmd: ['node', 'apps/server/dist/main.js'], output: 'dist' },
  web: { dockerfile: 'apps/web/Dockerfile', cmd: ['node', 'apps/web/build'], output: 'build' },
} as const;

describe.each(Object.entries(dockerfiles))('%s Dockerfile', (app, spec) => {
  const dockerfile = parseDockerfile(readFileSync(join(repoRoot, spec.dockerfile), 'utf8'));
  const stages = dockerfile.stages;
  const runtime = stages.at(-1);
  const packageName = `@collab/${app}`;
  const all = (keyword: string) =>
    stages.flatMap((stage) => stage.instructions.filter((i) => i.keyword === keyword));

  it('builds on Node 20 with the pnpm version the workspace pins', () => {
    const engines = rootManifest().engines?.node ?? '';
    expect(engines).toMatch(/^>=20\./);
    // A stage built on an earlier stage inherits its image.
    const stageNames = new Set(stages.map((stage) => stage.name));
    const images = stages.map((stage) => stage.image).filter((image) => !stageNames.has(image));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^node:20[.-]/);
    const pnpm = rootManifest().packageManager ?? '';
    const installs = all('RUN').filter((run) => /npm (i|install) (-g|--global) pnpm@/.test(run.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]?.args).toContain(pnpm);
  });

  it('installs the build tools better-sqlite3 needs before installing dependencies', () => {
    const runs = all('RUN').map((run) => run.args);
    const tools = runs.findIndex(
      (run) => /apt-get install/.test(run) && /python3/.test(run) && /\bg\+\+/.test(run),
    );
    const install = runs.findIndex((run) => /pnpm install/.test(run));
    expect(tools).toBeGreaterThanOrEqual(0);
    expect(tools).toBeLessThan(install);
  });

  it('copies only files that exist in the build context and are not left out by .dockerignore', () => {
    const sources = all('COPY')
      .filter((copy) => copy.flags.from === undefined)
      .flatMap((copy) => copy.words.slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
      expect(dockerIgnored(source, dockerIgnore), source).toBe(false);
    }
  });

  it('copies every workspace package the build needs, with its manifest', () => {
    const copied = all('COPY')
      .filter((copy) => copy.flags.from === undefined)
      .flatMap((copy) => copy.words.slice(0, -1));
    for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.base.json']) {
      expect(copied, file).toContain(file);
    }
    for (const pkg of workspaceClosure(packageName, { dev: true })) {
      const covered = copied.some((source) => pkg.dir === source || pkg.dir.startsWith(`${source}/`));
      expect(covered, pkg.dir).toBe(true);
      expect(dockerIgnored(`${pkg.dir}/package.json`, dockerIgnore), pkg.dir).toBe(false);
      expect(dockerIgnored(`${pkg.dir}/src`, dockerIgnore), pkg.dir).toBe(false);
    }
  });

  it('leaves host dependencies and build outputs out of the context', () => {
    for (const pkg of workspacePackages().values()) {
      for (const generated of ['node_modules', 'dist', 'build', '.svelte-kit']) {
        expect(dockerIgnored(`${pkg.dir}/${generated}`, dockerIgnore), `${pkg.dir}/${generated}`).toBe(true);
      }
    }
    expect(dockerIgnored('node_modules', dockerIgnore)).toBe(true);
  });

  it('installs and builds with a frozen lockfile, filtered to the app and what it needs', () => {
    const runs = all('RUN').map((run) => run.args);
    const filter = `--filter "${packageName}..."`;
    expect(
      runs.filter((run) => /pnpm install/.test(run)).every((run) => run.includes('--frozen-lockfile')),
    ).toBe(true);
    expect(
      runs.some((run) => /pnpm install/.test(run) && run.includes(filter) && !run.includes('--prod')),
    ).toBe(true);
    expect(
      runs.some((run) => /pnpm install/.test(run) && run.includes(filter) && run.includes('--prod')),
    ).toBe(true);
    expect(runs.some((run) => run.includes(`pnpm ${filter} run build`))).toBe(true);
  });

  it('refers only to stages defined before', () => {
    const names: string[] = [];
    for (const stage of stages) {
      for (const copy of stage.instructions.filter(
        (i) => i.keyword === 'COPY' && i.flags.from !== undefined,
      )) {
        expect(names, `COPY --from=${copy.flags.from}`).toContain(copy.flags.from);
      }
      if (stage.name) names.push(stage.name);
    }
  });

  it('puts the compiled output of every workspace package it runs into the runtime stage', () => {
    const copies = (runtime?.instructions ?? [])
      .filter((i) => i.keyword === 'COPY' && i.flags.from === 'build')
      .map((copy) => copy.words.join(' '));
    for (const pkg of workspaceClosure(packageName, { dev: false })) {
      const output = pkg.name === packageName ? spec.output : 'dist';
      expect(copies, pkg.dir).toContain(`/repo/${pkg.dir}/${output} ./${pkg.dir}/${output}`);
    }
  });

  it('runs as a non-root user, with a health check, the command the repo documents', () => {
    const instructions = runtime?.instructions ?? [];
    const user = instructions.filter((i) => i.keyword === 'USER').at(-1)?.words[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(instructions.some((i) => i.keyword === 'HEALTHCHECK')).toBe(true);
    const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1);
    expect(cmd?.words).toEqual([...spec.cmd]);
    // Exec form: node is PID 1 and receives SIGTERM itself.
    expect(cmd?.args.startsWith('[')).toBe(true);
    expect(instructions.find((i) => i.keyword === 'WORKDIR')?.words).toEqual(['/app']);
  });

  it('starts the file the root build produces', () => {
    const entry = spec.cmd[1];
    const file = app === 'web' ? join(repoRoot, entry, 'index.js') : join(repoRoot, entry);
    expect(existsSync(file), `${file} (run \`pnpm run build\` first)`).toBe(true);
  });

  it('listens on the port compose and nginx use', () => {
    const port = env(app).PORT;
    const exposed = (runtime?.instructions ?? [])
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.words);
    expect(exposed).toEqual([port]);
    const envLine = (runtime?.instructions ?? []).find((i) => i.keyword === 'ENV')?.args ?? '';
    expect(envLine).toMatch(new RegExp(`PORT=${port}\\b`));
  });
});

describe('nginx template', () => {
  it('passes nginx variables through and substitutes only defined environment variables', () => {
    expect(renderTemplate(template, {})).toBe(template);
    const rendered = renderTemplate(template, env('nginx'));
    for (const variable of [
      '$http_upgrade',
      '$proxy_add_x_forwarded_for',
      '$scheme',
      '$remote_addr',
      '$http_host',
    ]) {
      expect(rendered).toContain(variable);
    }
    expect(rendered).toContain('server server:8000 resolve;');
    expect(rendered).toContain('listen 80;');
  });

  it('renders like envsubst: a defined variable is replaced in both its forms, nothing else', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose and envsubst syntax, not a JS template
    const text = 'a ${X} b $X c ${Y} d $Y e $XY f $host g ${X}Z';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose and envsubst syntax, not a JS template
    expect(renderTemplate(text, { X: '1' })).toBe('a 1 b 1 c ${Y} d $Y e $XY f $host g 1Z');
  });

  it("renders with compose's values into a config Debian's nginx accepts (nginx -t)", async () => {
    // The compose upstream lines name Docker hosts and use `resolve`, which this machine's nginx
    // cannot check; everything else is compose's exactly.
    const values = localTemplateEnv(
      { upstreams: { server: ['127.0.0.1:1', '127.0.0.1:2'], web: '127.0.0.1:3' }, env: env('nginx') },
      '127.0.0.1:8',
    );
    const result = await checkNginxConfig(renderTemplate(template, values));
    expect(result.output).toContain('syntax is ok');
    expect(result.ok).toBe(true);
  });

  it('routes / to the web app and /trpc, /api/ to the server, with WebSocket upgrades', () => {
    const locations = new Map<string, string>();
    for (const match of template.matchAll(/location\s+(=\s+)?(\S+)\s*\{([^}]*)\}/g)) {
      locations.set(`${match[1] ? '= ' : ''}${match[2]}`, match[3] ?? '');
    }
    expect(locations.get('/')).toContain('proxy_pass http://collab_web;');
    for (const path of ['/trpc', '/api/', '/api/socket/']) {
      expect(locations.get(path), path).toContain('proxy_pass http://collab_server;');
    }
    expect(template).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(template).toMatch(/proxy_http_version 1\.1;/);
  });

  it('accepts request bodies of at least the 8 MiB the server accepts', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose and envsubst syntax, not a JS template
    expect(template).toContain('client_max_body_size ${NGINX_CLIENT_MAX_BODY_SIZE};');
    const size = /^(\d+)([km]?)$/i.exec(env('nginx').NGINX_CLIENT_MAX_BODY_SIZE ?? '');
    const units: Record<string, number> = { '': 1, k: 1024, m: 1024 * 1024 };
    const bytes = Number(size?.[1]) * (units[(size?.[2] ?? '').toLowerCase()] ?? 0);
    expect(bytes).toBeGreaterThanOrEqual(8 * 1024 * 1024);
  });
});
