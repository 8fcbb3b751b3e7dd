/** What a process spends, read from /proc (Linux): CPU time and resident memory. */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** User + system CPU time of process `pid`, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Resident set size of process `pid`, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** CPU used by `pid` and by this process over a stretch of time, as a share of one core. */
export function cpuMeter(pid: number) {
  const startServer = cpuMs(pid);
  const startSelf = process.cpuUsage();
  const startAt = performance.now();
  let peakRss = rssBytes(pid);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssBytes(pid));
  }, 250);
  return {
    stop() {
      clearInterval(sampler);
      const wallMs = performance.now() - startAt;
      const self = process.cpuUsage(startSelf);
      const serverMs = cpuMs(pid) - startServer;
      return {
        wallMs,
        serverCpuMs: serverMs,
        serverShare: serverMs / wallMs,
        loadGeneratorShare: (self.user + self.system) / 1000 / wallMs,
        peakRss: Math.max(peakRss, rssBytes(pid)),
      };
    },
  };
}
