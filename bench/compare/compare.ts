/**
 * The side-by-side comparison: each scenario on each system in turn, one table at the end.
 * Durations and sizes come from the environment (see `settingsFromEnv`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from '../figures.js';
import { largeDocument, lengthOf, smallDocument } from './documents.js';
import { rssBytes } from './proc.js';
import { crowd, drive, freshLoad, idleMemory, type RunResult, saturate, typeInTurn } from './scenarios.js';
import { type RunningSystem, systems } from './systems.js';

export interface CompareSettings {
  /** Seconds of each fixed-rate run (1,000 clients at 10 ops/s; 50 editors × 5 ops/s). */
  readonly seconds: number;
  /** Seconds of each step of the saturation runs. */
  readonly stepSeconds: number;
  /** Seconds of typing into the 1 KB and the 1 MB document. */
  readonly typingSeconds: number;
  /** Idle connections for the memory figure. */
  readonly idleConnections: number;
  /** Which systems (`this`, `sharedb`, `hocuspocus`) and scenarios run; all when empty. */
  readonly systems: readonly string[];
  readonly scenarios: readonly string[];
  /** Where each server writes a CPU profile (`--cpu-prof`) when it stops; none when undefined. */
  readonly cpuProfileDir: string | undefined;
  readonly dataDir: string;
}

const list = (value: string | undefined) => (value ? value.split(',').map((s) => s.trim()) : []);

/**
 * BENCH_SECONDS (10), BENCH_STEP_SECONDS (4), BENCH_TYPING_SECONDS (8), BENCH_IDLE_CONNECTIONS (5000),
 * BENCH_SYSTEMS, BENCH_SCENARIOS (comma-separated), BENCH_CPU_PROFILE_DIR.
 */
export function settingsFromEnv(dataDir: string): CompareSettings {
  const env = process.env;
  return {
    seconds: Number(env.BENCH_SECONDS ?? 10),
    stepSeconds: Number(env.BENCH_STEP_SECONDS ?? 4),
    typingSeconds: Number(env.BENCH_TYPING_SECONDS ?? 8),
    idleConnections: Number(env.BENCH_IDLE_CONNECTIONS ?? 5000),
    systems: list(env.BENCH_SYSTEMS),
    scenarios: list(env.BENCH_SCENARIOS),
    cpuProfileDir: env.BENCH_CPU_PROFILE_DIR,
    dataDir,
  };
}

const systemKeys: Record<string, string> = {
  'this server': 'this',
  ShareDB: 'sharedb',
  Hocuspocus: 'hocuspocus',
};

/** Rows of the table: a label, and per system its cell; `bound` marks cells the load generator limited. */
type Cells = Map<string, { text: string; bound: boolean }>;

const ms = (n: number) => (Number.isFinite(n) ? fmt(n, n < 10 ? 1 : 0) : '∞');
const pct = (share: number) => `${fmt(share * 100, 0)} %`;
const mib = (bytes: number) => `${fmt(bytes / 1024 ** 2, 0)} MB`;
const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`;

/**
 * The scenarios in parts, each run on a fresh server process: one part's leftovers (the memory V8 keeps
 * after queueing output to 1,000 clients, a document still loaded) never show in another part's figures.
 */
const parts: readonly (readonly string[])[] = [
  ['idle'],
  ['load', 'typing'],
  ['fixed'],
  ['saturation200'],
  ['saturation1000'],
  ['busy'],
];

async function runScenarios(
  system: RunningSystem,
  settings: CompareSettings,
  part: readonly string[],
  row: (label: string, text: string, bound?: boolean) => void,
) {
  const wanted = (name: string) =>
    part.includes(name) && (settings.scenarios.length === 0 || settings.scenarios.includes(name));
  const small = smallDocument();
  const smallLength = lengthOf(small);
  let docs = 0;
  const fresh = async (ops: readonly object[]) => {
    const docId = `bench-${++docs}-${Date.now()}`;
    await system.seed(docId, ops);
    return docId;
  };
  const log = (what: string) => console.log(`   ${system.name}: ${what}`);

  if (wanted('idle')) {
    const idle = await idleMemory(system, await fresh(small), settings.idleConnections);
    row(
      `idle connection at ${settings.idleConnections}: RSS / heap per connection`,
      `${kib(idle.rssPerConnection)} / ${kib(idle.heapPerConnection)}`,
    );
    log('idle memory done');
  }
  if (wanted('load') || wanted('typing')) {
    const large = largeDocument();
    const largeId = await fresh(large);
    if (wanted('load')) {
      row(
        'fresh client loads the 1 MB document (median of 7)',
        `${ms(await freshLoad(system, largeId, 7))} ms`,
      );
    }
    if (wanted('typing')) {
      for (const [label, docId, length] of [
        ['1 KB', await fresh(small), smallLength],
        ['1 MB', largeId, lengthOf(large)],
      ] as const) {
        const group = await crowd(system, docId, length, 2, 1, 1);
        const run = await typeInTurn(system, group, settings.typingSeconds);
        group.close();
        row(
          `typing into ${label}: server CPU per op, p50 / p99 latency`,
          `${ms(run.cpuMsPerOp)} ms, ${ms(run.p50)} / ${ms(run.p99)} ms`,
          run.generatorBound,
        );
      }
    }
    log('load and typing done');
  }
  if (wanted('fixed')) {
    const group = await crowd(system, await fresh(small), smallLength, 1000, 10, 50);
    const run = await drive(system, group, 10, settings.seconds);
    group.close();
    row(
      '1,000 clients, 10 ops/s: p50 / p99 ms, server CPU (ms per op)',
      `${ms(run.p50)} / ${ms(run.p99)}, ${pct(run.serverCpu)} (${ms(run.serverCpuMs / Math.max(1, run.sent))})`,
      run.generatorBound,
    );
    log('fixed rate done');
  }
  for (const clients of [200, 1000]) {
    if (!wanted(`saturation${clients}`)) continue;
    const group = await crowd(system, await fresh(small), smallLength, clients, 20, clients / 20);
    const result = await saturate(system, group, 25, 6400, settings.stepSeconds);
    group.close();
    row(
      `20 editors, ${clients} clients: max ops/s at p99 ≤ 100 ms`,
      `${fmt(result.opsPerSecond, 0)}${result.stop === 'top rate' ? '+' : ''}`,
      result.stop === 'load generator',
    );
    log(`saturation with ${clients} clients done`);
  }
  if (wanted('busy')) {
    const group = await crowd(system, await fresh(small), smallLength, 200, 50, 10);
    const run: RunResult = await drive(system, group, 250, settings.seconds);
    group.close();
    row(
      '50 editors × 5 ops/s, 200 clients: p99 ms, server CPU (ms per op), peak RSS',
      `${ms(run.p99)}, ${pct(run.serverCpu)} (${ms(run.serverCpuMs / Math.max(1, run.sent))}), ${mib(run.peakRss)}`,
      run.generatorBound,
    );
    log('50 editors done');
  }
}

/** Other work on the machine takes CPU from the servers and the load generator alike: shown per system. */
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';

export async function compare(settings: CompareSettings): Promise<void> {
  const chosen = systems.filter(
    (system) => settings.systems.length === 0 || settings.systems.includes(systemKeys[system.name] ?? ''),
  );
  const rows = new Map<string, Cells>();
  const chosenParts = parts.filter(
    (part) => settings.scenarios.length === 0 || part.some((name) => settings.scenarios.includes(name)),
  );
  for (const system of chosen) {
    const row = (label: string, text: string, bound = false) => {
      const cells = rows.get(label) ?? new Map();
      cells.set(system.name, { text: bound ? `${text} *` : text, bound });
      rows.set(label, cells);
    };
    const loadBefore = loadAverage();
    for (const [index, part] of chosenParts.entries()) {
      // Each part's profile goes to a folder named for the system and the part.
      const cpuProfileDir =
        settings.cpuProfileDir &&
        join(settings.cpuProfileDir, `${systemKeys[system.name]}-${part.join('+')}`);
      const running = await system.start({ cpuProfileDir, dataDir: settings.dataDir });
      try {
        if (index === 0) row('baseline RSS', mib(rssBytes(running.pid)));
        await runScenarios(running, settings, part, row);
      } finally {
        await running.stop();
      }
    }
    row('machine load average (1 min) before / after', `${loadBefore} / ${loadAverage()}`);
  }
  const labelWidth = Math.max(...[...rows.keys()].map((label) => label.length));
  const width = 30;
  console.log(`\n   ${''.padEnd(labelWidth)}  ${chosen.map((s) => s.name.padEnd(width)).join('')}`);
  for (const [label, cells] of rows) {
    console.log(
      `   ${label.padEnd(labelWidth)}  ${chosen.map((s) => (cells.get(s.name)?.text ?? '-').padEnd(width)).join('')}`,
    );
  }
  const bound = [...rows].flatMap(([label, cells]) =>
    [...cells].filter(([, cell]) => cell.bound).map(([name]) => `${name}: ${label}`),
  );
  console.log(
    bound.length > 0
      ? `\n   * limited by the load generator (its CPU over 90 % of a core, or ops sent under 90 % of the target):\n     ${bound.join('\n     ')}`
      : '\n   No figure was limited by the load generator.',
  );
}
