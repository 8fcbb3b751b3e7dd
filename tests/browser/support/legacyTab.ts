import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';

/*
 * The seed's React client, as `LEGACY-CLIENT.md` describes it, on Quill 1.3.7 from npm: one WebSocket
 * opened on mount with its `onopen` attached a moment later (so `get-document` is sometimes never sent and
 * the page stays at "Loading..."), every user change sent at once as `changes-received` if the socket is
 * open, every `update-document` applied on arrival, and the whole contents sent as `save-changes` every
 * 2 s from mount. Nothing here waits for the server or knows about versions.
 */
const legacyPage = (socketUrl: string) => `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="/quill.snow.css"></head>
<body><div id="editor"></div>
<script src="/quill.js"></script>
<script>
  const quill = new Quill('#editor', { theme: 'snow' });
  window.quill = quill;
  quill.setText('Loading...');
  quill.disable();
  window.legacyLoaded = false;
  const socket = new WebSocket(${JSON.stringify(socketUrl)});
  socket.onmessage = (event) => {
    const { key, value } = JSON.parse(event.data);
    if (key === 'db-document') {
      const doc = JSON.parse(value);
      if (doc.Data) quill.setContents(JSON.parse(doc.Data));
      else quill.setText('');
      quill.enable();
      window.legacyLoaded = true;
    } else if (key === 'update-document') {
      try {
        quill.updateContents(JSON.parse(value));
      } catch (error) {
        console.log('could not apply an update', error);
      }
    }
  };
  quill.on('text-change', (delta, _old, source) => {
    if (source !== 'user') return;
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ key: 'changes-received', value: JSON.stringify(delta) }));
    }
  });
  setInterval(() => {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ key: 'save-changes', value: JSON.stringify(quill.getContents()) }));
    }
  }, 2000);
  // The seed attaches onopen in a later effect, after the editor exists.
  setTimeout(() => {
    socket.onopen = () => socket.send(JSON.stringify({ key: 'get-document', value: ${JSON.stringify('DOC')} }));
  }, 0);
</script></body></html>`;

const require = createRequire(import.meta.url);
const quillDist = join(dirname(require.resolve('quill1/package.json')), 'dist');

/** Serves the old client's page: `/legacy/<docId>?port=<socket port>`. */
export interface LegacyPageServer {
  readonly baseURL: string;
  stop(): Promise<void>;
}

export async function startLegacyPageServer(): Promise<LegacyPageServer> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/quill.js' || url.pathname === '/quill.snow.css') {
        const body = await readFile(join(quillDist, url.pathname.slice(1)));
        res.writeHead(200, { 'content-type': url.pathname.endsWith('.js') ? 'text/javascript' : 'text/css' });
        res.end(body);
        return;
      }
      const match = /^\/legacy\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      if (match) {
        const docId = match[1] as string;
        const socketUrl = `ws://127.0.0.1:${url.searchParams.get('port')}/api/socket/ws/${docId}`;
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(legacyPage(socketUrl).replace('"DOC"', JSON.stringify(docId)));
        return;
      }
      res.writeHead(404).end();
    } catch {
      res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Opens the old client on `docId` through the socket at `socketPort` and waits until it shows the document.
 * Like a person facing a page stuck at "Loading...", it reloads when the document does not come.
 * Returns how many reloads that took.
 */
export async function openLegacyTab(page: Page, pages: LegacyPageServer, docId: string, socketPort: number) {
  let reloads = 0;
  await page.goto(`${pages.baseURL}/legacy/${docId}?port=${socketPort}`);
  for (;;) {
    try {
      await page.waitForFunction(() => (window as unknown as { legacyLoaded: boolean }).legacyLoaded, null, {
        timeout: 5_000,
      });
      return reloads;
    } catch {
      reloads++;
      if (reloads > 3) throw new Error('the old client never loaded the document');
      await page.reload();
    }
  }
}

/** The old client's text, as Quill 1 gives it. */
export function legacyText(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { quill: { getText(): string } }).quill.getText());
}
