import { monitorEventLoopDelay } from 'node:perf_hooks';
import { log } from '../log.js';

/**
 * Logs the event loop's delay (p99 and max since the last report), resident memory and heap every
 * `intervalMs`: what the soak and the hostile benchmark read to show that cost stays bounded [L1] [L5].
 */
export function startLoadReport(intervalMs: number): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const timer = setInterval(() => {
    const memory = process.memoryUsage();
    log.info('load', {
      eventLoopP99Ms: Number((delay.percentile(99) / 1e6).toFixed(1)),
      eventLoopMaxMs: Number((delay.max / 1e6).toFixed(1)),
      rssMiB: Number((memory.rss / 2 ** 20).toFixed(1)),
      heapUsedMiB: Number((memory.heapUsed / 2 ** 20).toFixed(1)),
    });
    delay.reset();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    delay.disable();
  };
}
