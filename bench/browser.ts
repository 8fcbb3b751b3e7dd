/// <reference lib="dom" />
// Functions passed to page.evaluate and addInitScript run in the page, where DOM types apply.

/**
 * The browser scenario of `npm run bench`: the web editor on a 1 MB document (about 42,000 formatted
 * runs, the comparison's large document) in Debian's chromium, driven by playwright-core, against the
 * real server process on 127.0.0.1. Prints figures next to their goals; asserts nothing.
 *
 * (a) open time: from the navigation to the document page until its editor is editable (goal < 1 s);
 * (b) per typed character, in the middle of the document:
 *     - main-thread time: what the renderer's main thread spent on the keystroke and on everything it set
 *       off until the next one (saving, title, word count, presence, the server's acknowledgement), from
 *       CDP's Performance.getMetrics (TaskDuration) before and after (goal ≤ 16 ms: one frame);
 *     - longest frame: the longest interval between two animation frames while it was handled;
 *     - long animation frames (over 50 ms) the page reported while typing;
 * (c) keystroke to other user: from the keydown in page A to the character in page B's editor (a
 *     MutationObserver there), both pages in one browser so that their clocks agree (goal ≤ 50 ms).
 *
 * Work the editor leaves until typing pauses (the word count) is measured apart: the main-thread time of
 * the pause after the last keystroke.
 *
 * Knobs: BENCH_BROWSER_OPENS (5 opens measured), BENCH_BROWSER_KEYSTROKES (60), BENCH_BROWSER_KEY_GAP_MS
 * (250: a typist's pace, longer than the editor's own short delays, so each keystroke's work is counted
 * once), BENCH_BROWSER_PROFILE_DIR (CPU profiles of the page while it opens, of the page typed into and of
 * the other one; read them with `node --import tsx cpuProfile.ts <file>`), WEB_BUILD_DIR (another build of
 * the web app to serve, to compare two versions).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, tempDir } from '@collab/server/testing';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { largeDocument } from './compare/documents.js';
import { fmt, percentile, sleep } from './figures.js';

const chromiumPath = '/usr/bin/chromium';
const opens = Number(process.env.BENCH_BROWSER_OPENS ?? 5);
const keystrokes = Number(process.env.BENCH_BROWSER_KEYSTROKES ?? 60);
const keyGapMs = Number(process.env.BENCH_BROWSER_KEY_GAP_MS ?? 250);
const profileDir = process.env.BENCH_BROWSER_PROFILE_DIR;
const editableSelector = '.page[data-phase="ready"] .ql-editor[contenteditable="true"]';

/** What bench/browser-probe.js keeps in each page (`window.benchProbe`). */
interface Probe {
  editableAt?: number;
  keys: number[];
  frames: number[];
  longFrames: [number, number][];
  seen: [number, string][];
  recordFrames(on: boolean): void;
  watch(blockIndex: number): void;
}

const probeScript = fileURLToPath(new URL('./browser-probe.js', import.meta.url));

/** Reads the probe of a page (`read` must be an anonymous function: it is sent to the page as text). */
const probeOf = <T>(page: Page, read: (probe: Probe) => T): Promise<T> =>
  page.evaluate(`(${read.toString()})(window.benchProbe)`) as Promise<T>;

/** A person in their own browser profile, named (so no name prompt), owning nothing yet. */
async function newPerson(browser: Browser, baseURL: string, name: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  await context.addInitScript(([key, identity]) => localStorage.setItem(key, identity), [
    'collab:identity',
    JSON.stringify({ name, color: '#1a73e8' }),
  ] as const);
  await context.addInitScript({ path: probeScript });
  await context.request.get('/trpc/session.me');
  return context;
}

/** Opens the document in a new page of `context`; resolves with the page and its open time in ms. */
async function openPage(context: BrowserContext, docId: string, profileAs?: string) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`   page error: ${error.message}`));
  let cdp: CDPSession | undefined;
  if (profileAs) cdp = await startProfile(page);
  await page.goto(`/documents/${docId}`, { waitUntil: 'commit' });
  await page.locator(editableSelector).waitFor({ timeout: 60_000 });
  if (cdp && profileAs) await stopProfile(cdp, profileAs);
  const openMs = await probeOf(page, (probe) => probe.editableAt ?? Number.NaN);
  return { page, openMs };
}

async function startProfile(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return cdp;
}

async function stopProfile(cdp: CDPSession, name: string): Promise<void> {
  if (!profileDir) return;
  const { profile } = await cdp.send('Profiler.stop');
  await mkdir(profileDir, { recursive: true });
  const file = join(profileDir, `${name}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  console.log(`   CPU profile: ${file}`);
}

/** The renderer main thread's busy time so far, in ms, and how much of it went to script, layout and style. */
async function mainThread(cdp: CDPSession) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const ms = (name: string) => (metrics.find((metric) => metric.name === name)?.value ?? Number.NaN) * 1000;
  return {
    task: ms('TaskDuration'),
    script: ms('ScriptDuration'),
    layout: ms('LayoutDuration'),
    style: ms('RecalcStyleDuration'),
  };
}

function line(label: string, values: readonly number[], goal: string, unit = 'ms') {
  const figures = `median ${fmt(percentile(values, 50))} ${unit}, p95 ${fmt(percentile(values, 95))} ${unit}, max ${fmt(Math.max(...values))} ${unit}`;
  console.log(`   ${label.padEnd(38)} ${figures.padEnd(48)} goal ${goal}`);
}

async function typeAndMeasure(writer: Page, reader: Page) {
  // The middle of the document: where Quill's own lookups by index cost the most.
  const blockIndex = await writer
    .locator('.ql-editor')
    .evaluate((root) => Math.floor(root.children.length / 2));
  const block = writer.locator('.ql-editor > *').nth(blockIndex);
  await block.scrollIntoViewIfNeeded();
  await block.click();
  await reader.evaluate(
    (index) => (window as unknown as { benchProbe: Probe }).benchProbe.watch(index),
    blockIndex,
  );
  await sleep(1000);

  const cdp = await writer.context().newCDPSession(writer);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const profiling = profileDir
    ? { writer: await startProfile(writer), reader: await startProfile(reader) }
    : undefined;
  await probeOf(writer, (probe) => probe.recordFrames(true));
  const perKey: number[] = [];
  const parts = { script: [] as number[], layout: [] as number[], style: [] as number[] };
  const windows: [number, number][] = [];
  let typed = '';
  for (let i = 0; i < keystrokes; i++) {
    // Digits: the document has none, so the typed run is easy to find in the other page.
    const char = String(i % 10);
    typed += char;
    const before = await mainThread(cdp);
    const from = await writer.evaluate(() => performance.now());
    await writer.keyboard.type(char);
    await reader.waitForFunction(
      (expected) =>
        (window as unknown as { benchProbe: Probe }).benchProbe.seen.some(([, text]) =>
          text.includes(expected),
        ),
      typed,
      { timeout: 10_000 },
    );
    await sleep(keyGapMs);
    const to = await writer.evaluate(() => performance.now());
    const after = await mainThread(cdp);
    perKey.push(after.task - before.task);
    parts.script.push(after.script - before.script);
    parts.layout.push(after.layout - before.layout);
    parts.style.push(after.style - before.style);
    windows.push([from, to]);
  }
  await probeOf(writer, (probe) => probe.recordFrames(false));
  const beforePause = await mainThread(cdp);
  await sleep(2000);
  const pauseMs = (await mainThread(cdp)).task - beforePause.task;
  if (profiling) {
    await stopProfile(profiling.writer, 'typing');
    await stopProfile(profiling.reader, 'receiving');
  }

  const keys = await probeOf(writer, (probe) => probe.keys);
  const frames = await probeOf(writer, (probe) => probe.frames);
  const longFrames = await probeOf(writer, (probe) => probe.longFrames);
  const seen = await probeOf(reader, (probe) => probe.seen);
  const longestFrame = windows.map(([from, to]) => {
    let longest = 0;
    for (let i = 1; i < frames.length; i++) {
      const [a = 0, b = 0] = [frames[i - 1], frames[i]];
      if (b > from && a < to) longest = Math.max(longest, b - a);
    }
    return longest;
  });
  let expected = '';
  const latency = keys.slice(-keystrokes).map((at, i) => {
    expected += String(i % 10);
    const shown = seen.find(([, text]) => text.includes(expected));
    return shown ? shown[0] - at : Number.NaN;
  });
  const typingStart = windows[0]?.[0] ?? 0;
  return {
    perKey,
    parts,
    pauseMs,
    longestFrame,
    latency,
    longFrames: longFrames.filter(([start]) => start >= typingStart).map(([, duration]) => duration),
  };
}

async function main() {
  console.log('\nBrowser scenario: the web editor on a 1 MB document (chromium, this server)');
  if (!existsSync(chromiumPath)) {
    console.log('   skipped: chromium not installed (`node scripts/bootstrap.mjs --test` installs it)');
    return;
  }
  const dir = await tempDir('collab-bench-browser-');
  const server = await startServer({
    env: {
      SQLITE_PATH: `${dir.path}/bench.sqlite`,
      MAX_OPS_PER_SECOND: '100000',
      ...(process.env.WEB_BUILD_DIR ? { WEB_BUILD_DIR: process.env.WEB_BUILD_DIR } : {}),
    },
  });
  let browser: Browser | undefined;
  try {
    const home = await fetch(`${server.httpUrl}/`);
    if (!(await home.text()).includes('Collab Docs')) {
      console.log('   skipped: the server does not serve the web app (build it: `pnpm run build`)');
      return;
    }
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    const alice = await newPerson(browser, server.httpUrl, 'Alice');
    const bob = await newPerson(browser, server.httpUrl, 'Bob');
    const docId = `bench-browser-${Date.now()}`;
    const created = await alice.request.post('/trpc/documents.create', {
      data: { id: docId, delta: { ops: largeDocument() } },
    });
    if (!created.ok()) throw new Error(`creating the document: ${created.status()} ${await created.text()}`);

    // The first open fills the HTTP cache with the app's scripts, as for anyone who opened one before.
    const first = await openPage(alice, docId);
    console.log(`   first open (cold cache): ${fmt(first.openMs, 0)} ms`);
    await first.page.close();
    const openTimes: number[] = [];
    for (let i = 0; i < opens; i++) {
      const { page, openMs } = await openPage(alice, docId, i === 0 ? 'open' : undefined);
      openTimes.push(openMs);
      await page.close();
    }

    const writer = await openPage(alice, docId);
    const reader = await openPage(bob, docId);
    const typing = await typeAndMeasure(writer.page, reader.page);

    line(`(a) open, navigation to editable`, openTimes, '< 1000 ms');
    line('(b) main-thread time per keystroke', typing.perKey, '≤ 16 ms');
    const { script, layout, style } = typing.parts;
    console.log(
      `   ${'    of which script / layout / style'.padEnd(38)} median ${fmt(percentile(script, 50))} / ${fmt(percentile(layout, 50))} / ${fmt(percentile(style, 50))} ms (the rest: paint, compositing, input, waiting on the compositor)`,
    );
    line('    longest frame per keystroke', typing.longestFrame, '≤ 16.7 ms (one frame)');
    console.log(
      `   ${'    long animation frames (> 50 ms)'.padEnd(38)} ${typing.longFrames.length} while typing ${keystrokes} characters${typing.longFrames.length ? `, longest ${fmt(Math.max(...typing.longFrames))} ms` : ''}`,
    );
    console.log(
      `   ${'    when typing pauses (word count)'.padEnd(38)} ${fmt(typing.pauseMs)} ms of main thread, once`,
    );
    line('(c) keystroke to the other page', typing.latency, '≤ 50 ms');
  } finally {
    await browser?.close();
    await server.stop();
    await dir.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
