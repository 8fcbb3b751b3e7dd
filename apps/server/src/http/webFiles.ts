import { readdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
import { log } from '../log.js';
import { sendJson } from './json.js';

/** A connect-style handler (SvelteKit's adapter-node `handler`). */
export type WebHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries.map((entry) => join(dir, entry));
}

/** The request paths a static file answers (as the build's static server looks them up). */
function pathsOf(root: string, file: string): string[] {
  const url = `/${relative(root, file).split(sep).join('/')}`.replace(/\.(br|gz)$/, '');
  const paths = [url];
  if (url.endsWith('/index.html'))
    paths.push(url.slice(0, -'index.html'.length), url.slice(0, -'/index.html'.length));
  else if (url.endsWith('.html')) paths.push(url.slice(0, -'.html'.length));
  return paths;
}

/**
 * [L4] The web build's static files, listed at start as its static server lists them. A request for one
 * that has vanished since (the build was replaced under a running server) is answered 404 here instead
 * of reaching a file stream that would fail; and a file stream that fails anyway ends only its response.
 */
export function guardStaticFiles(handler: WebHandler, buildDir: string): WebHandler {
  const filesByPath = new Map<string, string[]>();
  for (const folder of ['client', 'prerendered']) {
    const root = join(buildDir, folder);
    for (const file of filesUnder(root)) {
      for (const path of pathsOf(root, file)) filesByPath.set(path, [...(filesByPath.get(path) ?? []), file]);
    }
  }
  return (req, res, next) => {
    res.on('pipe', (source) => {
      source.once('error', (error) => {
        log.warn('static file could not be read', { url: req.url, error });
        res.destroy();
      });
    });
    const files = req.method === 'GET' || req.method === 'HEAD' ? filesByPath.get(pathOf(req)) : undefined;
    if (!files) {
      handler(req, res, next);
      return;
    }
    Promise.all(files.map((file) => access(file))).then(
      () => handler(req, res, next),
      () => sendJson(res, 404, { error: 'Not found' }),
    );
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const end = url.indexOf('?');
  try {
    return decodeURIComponent(end === -1 ? url : url.slice(0, end));
  } catch {
    return '';
  }
}
