import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { createAppServer } from './http/server.js';
import { guardStaticFiles, type WebHandler } from './http/webFiles.js';
import { startLoadReport } from './limits/index.js';
import { log, setLogLevel } from './log.js';

/** The web app's adapter-node build: `apps/web/build` beside this package, unless WEB_BUILD_DIR says otherwise. */
async function loadWebHandler(dir: string | undefined): Promise<WebHandler | undefined> {
  const buildDir = dir ?? fileURLToPath(new URL('../../web/build', import.meta.url));
  const handlerFile = `${buildDir}/handler.js`;
  if (!existsSync(handlerFile)) {
    log.warn('web build not found; serving the API only', { handlerFile });
    return undefined;
  }
  const module = (await import(pathToFileURL(handlerFile).href)) as { handler: WebHandler };
  return guardStaticFiles(module.handler, buildDir);
}

async function main(): Promise<void> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  setLogLevel(config.logLevel);
  if (config.bounds.loadReportMs) startLoadReport(config.bounds.loadReportMs);

  const app = makeApp(config);
  const services = await app.services;
  const web = config.serveWeb ? await loadWebHandler(config.webBuildDir) : undefined;
  const observability = await app.observability;
  const http = createAppServer({ config, services, web, observability });

  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(config.port, config.host, resolve);
  });
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info('listening', {
    port,
    host: config.host,
    storage: config.storage.kind,
    redis: Boolean(config.redis),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const deadline = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    deadline.unref();
    await http.beginShutdown();
    // Disposing the layers snapshots every open document, then closes the store [S5].
    await app.runtime.dispose();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  log.error('failed to start', { error });
  process.exit(1);
});
