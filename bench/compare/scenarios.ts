/**
 * The side-by-side scenarios, the same for each system: clients connect, editors type at a fixed total
 * rate, probes time each op from the editor's send to its arrival; the server's CPU and memory come
 * from /proc. Each result says when the load generator, not the server, limited it.
 */
import { percentile, sleep } from '../figures.js';
import { cpuMeter, rssBytes } from './proc.js';
import type { Client, Editor, RunningSystem } from './systems.js';

/** Latencies of ops from send to each probe; an op a probe never got counts as infinitely late. */
class Recorder {
  readonly sentAt = new Map<string, number>();
  readonly latencies: number[] = [];
  probes = 0;
  readonly probe = (key: string) => {
    const sent = this.sentAt.get(key);
    if (sent !== undefined) this.latencies.push(performance.now() - sent);
  };
  sent(key: string | undefined) {
    if (key !== undefined) this.sentAt.set(key, performance.now());
  }
  /** p50 and p99 of what was sent since the last reset, with every missed delivery as +∞. */
  figures() {
    const expected = this.sentAt.size * this.probes;
    const all = [...this.latencies];
    for (let missing = expected - all.length; missing > 0; missing--) all.push(Number.POSITIVE_INFINITY);
    return {
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      missed: Math.max(0, expected - this.latencies.length),
    };
  }
  reset() {
    this.sentAt.clear();
    this.latencies.length = 0;
  }
}

export interface Crowd {
  readonly editors: Editor[];
  readonly receivers: Client[];
  readonly recorder: Recorder;
  close(): void;
}

/** Opens `clients` clients on `docId`, `editors` of them typing; one receiver in `probeEvery` is a probe. */
export async function crowd(
  system: RunningSystem,
  docId: string,
  length: number,
  clients: number,
  editors: number,
  probeEvery: number,
): Promise<Crowd> {
  const recorder = new Recorder();
  const editorList: Editor[] = [];
  const receivers: Client[] = [];
  // In batches, so that the servers see connections arrive as from many people rather than all at once.
  for (let start = 0; start < clients; start += 100) {
    const batch: Client[] = [];
    for (let i = start; i < Math.min(clients, start + 100); i++) {
      if (i < editors) {
        const editor = system.editor(docId, i, length);
        editorList.push(editor);
        batch.push(editor);
      } else {
        const probe = (i - editors) % probeEvery === 0;
        if (probe) recorder.probes++;
        const receiver = system.receiver(docId, probe ? recorder.probe : undefined);
        receivers.push(receiver);
        batch.push(receiver);
      }
    }
    await Promise.all(batch.map((client) => client.ready));
  }
  return {
    editors: editorList,
    receivers,
    recorder,
    close() {
      for (const client of [...editorList, ...receivers]) client.close();
    },
  };
}

export interface RunResult {
  readonly p50: number;
  readonly p99: number;
  readonly missed: number;
  readonly sentPerSecond: number;
  readonly targetPerSecond: number;
  readonly serverCpu: number;
  readonly serverCpuMs: number;
  readonly sent: number;
  readonly peakRss: number;
  /** The load generator's own CPU (share of one core) or its sending fell short. */
  readonly generatorBound: boolean;
  readonly generatorCpu: number;
}

/** The editors of `crowd` type `rate` ops/s in all, round robin, for `seconds`; then a pause to drain. */
export async function drive(
  system: RunningSystem,
  group: Crowd,
  rate: number,
  seconds: number,
): Promise<RunResult> {
  group.recorder.reset();
  const meter = cpuMeter(system.pid);
  const started = performance.now();
  let sent = 0;
  let turn = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((rate * elapsed) / 1000) - sent;
      for (let i = 0; i < due; i++) {
        const editor = group.editors[turn++ % group.editors.length];
        group.recorder.sent(editor?.type());
        sent++;
      }
    }, 5);
  });
  const usage = meter.stop();
  await sleep(1500);
  const { p50, p99, missed } = group.recorder.figures();
  const sentPerSecond = sent / (usage.wallMs / 1000);
  if (process.env.BENCH_VERBOSE)
    console.log(
      `     ${system.name}: ${rate} ops/s → sent ${sent}, p50 ${p50}, p99 ${p99}, missed ${missed}, server ${usage.serverShare}, generator ${usage.loadGeneratorShare}`,
    );
  return {
    p50,
    p99,
    missed,
    sent,
    sentPerSecond,
    targetPerSecond: rate,
    serverCpu: usage.serverShare,
    serverCpuMs: usage.serverCpuMs,
    peakRss: usage.peakRss,
    generatorCpu: usage.loadGeneratorShare,
    generatorBound: usage.loadGeneratorShare > 0.9 || sentPerSecond < 0.9 * rate,
  };
}

export interface Saturation {
  /** Highest rate sent with p99 ≤ 100 ms (ops/s), NaN when none. */
  readonly opsPerSecond: number;
  readonly p99: number;
  /** Why the doubling stopped. */
  readonly stop: 'server' | 'load generator' | 'top rate';
}

/**
 * Doubles the rate from `from` until p99 goes over 100 ms, the load generator falls short, or `to`; then
 * halves the gap between the last rate that held and the first that did not, twice (to within 12.5 %).
 */
export async function saturate(
  system: RunningSystem,
  group: Crowd,
  from: number,
  to: number,
  stepSeconds: number,
): Promise<Saturation> {
  // A first step at the lowest rate, not counted: connections and the servers' code warm up.
  await drive(system, group, from, stepSeconds);
  let best: RunResult | undefined;
  for (let rate = from; rate <= to; rate *= 2) {
    const result = await drive(system, group, rate, stepSeconds);
    if (result.p99 > 100) {
      let [held, failed] = [rate / 2, rate];
      for (let i = 0; best && i < 2; i++) {
        const between = (held + failed) / 2;
        const tried = await drive(system, group, between, stepSeconds);
        if (tried.p99 > 100 || tried.generatorBound) failed = between;
        else [best, held] = [tried, between];
      }
      return summary(best, 'server', result.generatorBound);
    }
    best = result;
    if (result.generatorBound) return summary(best, 'load generator', true);
  }
  return summary(best, 'top rate', false);
}

function summary(best: RunResult | undefined, stop: Saturation['stop'], generatorBound: boolean): Saturation {
  // p99 went over 100 ms while the generator was also short: the generator limited it.
  return {
    opsPerSecond: best?.sentPerSecond ?? Number.NaN,
    p99: best?.p99 ?? Number.NaN,
    stop: stop === 'server' && generatorBound ? 'load generator' : stop,
  };
}

/**
 * One editor types one character at a time, each once the probe has it (or after a second), for
 * `seconds`: the latency of an op alone, and the server's CPU per op.
 */
export async function typeInTurn(system: RunningSystem, group: Crowd, seconds: number) {
  const { recorder } = group;
  recorder.reset();
  const editor = group.editors[0];
  const meter = cpuMeter(system.pid);
  const until = performance.now() + seconds * 1000;
  let sent = 0;
  while (performance.now() < until && editor) {
    recorder.sent(editor.type());
    sent++;
    const deadline = performance.now() + 1000;
    while (recorder.latencies.length < sent * recorder.probes && performance.now() < deadline) await sleep(1);
  }
  const usage = meter.stop();
  await sleep(500);
  const { p50, p99 } = recorder.figures();
  return {
    p50,
    p99,
    cpuMsPerOp: usage.serverCpuMs / Math.max(1, sent),
    generatorBound: usage.loadGeneratorShare > 0.9,
  };
}

/** RSS and heap per idle connection at `connections`, after a pause for the server to settle. */
export async function idleMemory(system: RunningSystem, docId: string, connections: number) {
  const rssBefore = rssBytes(system.pid);
  const heapBefore = await system.heapUsedBytes();
  const group = await crowd(system, docId, 0, connections, 0, Number.POSITIVE_INFINITY);
  await sleep(3000);
  const rssAfter = rssBytes(system.pid);
  const heapAfter = await system.heapUsedBytes();
  const connected = group.receivers.length;
  group.close();
  await sleep(1000);
  return {
    rssPerConnection: (rssAfter - rssBefore) / connected,
    heapPerConnection: (heapAfter - heapBefore) / connected,
  };
}

/** Median time for a fresh client to hold the whole document, over `rounds` loads one after another. */
export async function freshLoad(system: RunningSystem, docId: string, rounds: number) {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(await system.load(docId));
  return percentile(times, 50);
}
