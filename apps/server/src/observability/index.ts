import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/json.js';
import type { Metrics } from './metrics.js';
import type { ReadinessReport } from './readiness.js';

export { instrumentedSessions } from './instrumentedSessions.js';
export { instrumentedStore } from './instrumentedStore.js';
export { createMetrics, type Metrics } from './metrics.js';
export { makeReadiness, type ReadinessReport } from './readiness.js';

/** What the HTTP server needs to be observed: the metrics and the readiness check. */
export interface Observability {
  readonly metrics: Metrics;
  readonly readiness: () => Promise<ReadinessReport>;
}

/** `/metrics` (Prometheus text format) and `/readyz` (200 when ready, 503 otherwise) [O1]. */
export function observabilityRoute(
  observability: Observability,
  path: string,
): ((res: ServerResponse) => Promise<void>) | undefined {
  if (path === '/metrics') {
    return async (res) => {
      const text = await observability.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': observability.metrics.registry.contentType });
      res.end(text);
    };
  }
  if (path === '/readyz') {
    return async (res) => {
      const report = await observability.readiness();
      sendJson(res, report.ready ? 200 : 503, report);
    };
  }
  return undefined;
}
