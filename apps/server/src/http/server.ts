import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorCatalogue, isErrorTag } from '@collab/protocol';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { baseSecurityHeaders, hostAllowed, isStateChanging, originAllowed } from '../access/origins.js';
import type { AppServices } from '../app.js';
import type { AppConfig } from '../config.js';
import { createLegacySocketServer, isLegacySocketPath } from '../legacy/LegacySocket.js';
import { BoundedSocket, connectionRetryAfterMs, createBounds, retryAfterSeconds } from '../limits/index.js';
import { bindLogContext, enterLogContext, log, newRequestId, withLogContext } from '../log.js';
import { type Observability, observabilityRoute } from '../observability/index.js';
import { appRouter } from '../router/index.js';
import { trpcWsEncoder } from '../transport/trpcFrames.js';
import { type Connection, httpConnection, type TrpcContext, websocketConnection } from '../trpc/context.js';
import { tagByCode } from '../trpc/init.js';
import { runEffectWith } from '../trpc/run.js';
import { createExportHandler, isExportPath } from './exportRoute.js';
import { createImagesHandler, isImagesPath } from './imagesRoute.js';
import { sendJson } from './json.js';
import { createRestHandler, isRestPath } from './rest.js';
import type { WebHandler } from './webFiles.js';

export interface HttpServerOptions {
  readonly config: AppConfig;
  readonly services: AppServices;
  readonly web: WebHandler | undefined;
  readonly observability: Observability;
}

/**
 * One port for everything (docs/SPEC.md §3): tRPC over HTTP and WebSocket at `/trpc`, health at `/healthz`,
 * the seed's REST routes under `/api/database` and its WebSocket at `/api/socket/ws/{id}` (§6), and the web
 * app on every other path.
 */
export function createAppServer({ config, services, web, observability }: HttpServerOptions) {
  const { metrics } = observability;
  const { limits } = config;
  const bounds = createBounds(config.bounds, limits, config.maxSocketBacklogBytes);
  let shuttingDown = false;
  const runEffect = runEffectWith(services.settle);

  const baseContext = {
    run: runEffect,
    services,
    limits,
    bounds,
    maxSocketBacklogBytes: config.maxSocketBacklogBytes,
  };

  /** [L4] an unexpected failure is logged with the id of its request or connection; the client learns nothing of it. */
  /** Every refusal is counted by tag [O1]; a defect is logged, never answered with its internals [L4]. */
  const onError = ({
    error,
    path,
    ctx,
  }: {
    error: { code: string; cause?: unknown };
    path?: string;
    ctx?: TrpcContext;
  }) => {
    metrics.refusals.inc({ tag: errorTag(error) });
    if (error.code === 'INTERNAL_SERVER_ERROR')
      log.error('tRPC error', { path, requestId: ctx?.connection.id, error: error.cause ?? error });
  };

  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: limits.maxMessageBytes,
    // [L2] a batch is bounded in calls here, and in answer bytes by the request's answer budget.
    maxBatchSize: config.bounds.maxBatchSize,
    createContext: async ({ req, res }): Promise<TrpcContext> => ({
      ...baseContext,
      request: req,
      response: res,
      connection: httpConnection(req, bounds),
      principal: await runEffect(services.access.authenticate(req, undefined)),
    }),
    // [L3] refusals for too many requests say when to come back.
    responseMeta: ({ errors }) => {
      const waits = errors.flatMap((error) => {
        const wait = (error.cause as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
        return typeof wait === 'number' ? [wait] : [];
      });
      return waits.length > 0
        ? { headers: { 'retry-after': String(retryAfterSeconds(Math.max(...waits))) } }
        : {};
    },
    onError,
  });

  const connections = new WeakMap<object, Connection>();
  // Frames up to twice the message limit are read, so an oversized request is answered with a clear
  // error (LimitExceeded, by the input guard) instead of a dropped socket that the client would retry.
  const trpcSockets = new WebSocketServer({
    noServer: true,
    maxPayload: 2 * limits.maxMessageBytes + 65_536,
    WebSocket: BoundedSocket,
  });
  trpcSockets.on('connection', (socket: BoundedSocket, req: IncomingMessage) => {
    const connection = websocketConnection(socket, bounds.addressOf(req), limits, bounds);
    connections.set(socket, connection);
    metrics.observeSocket(socket, 'trpc');
    socket.prependListener('message', () => enterLogContext({ connectionId: connection.id }));
    connection.onClose(() => services.presence.dropConnection(connection.id));
    // A frame over the hard cap or a broken peer: `ws` closes the socket; without a listener it would throw.
    socket.on('error', (error) => log.debug('socket error', { connection: connection.id, error }));
  });
  const trpcWs = applyWSSHandler({
    wss: trpcSockets,
    router: appRouter,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    // [P1] a changes event is serialised once per flush; its frames reuse that JSON.
    experimental_encoder: trpcWsEncoder,
    // A reconnecting client resubscribes all its streams in one message.
    maxBatchSize: Math.max(config.bounds.maxBatchSize, config.bounds.maxStreamsPerConnection),
    // Once per connection: its principal comes from the token in its connection params, else its cookie [A1].
    createContext: async ({ req, res, info }): Promise<TrpcContext> => {
      const connection =
        connections.get(res) ?? websocketConnection(res, bounds.addressOf(req), limits, bounds);
      const token = info.connectionParams?.token;
      const principal = await runEffect(
        services.access.authenticate(req, typeof token === 'string' ? token : undefined),
      );
      return { ...baseContext, request: req, response: undefined, connection, principal };
    },
    onError,
  });

  const rest = createRestHandler({ services, limits, access: config.access, bounds });
  const exportDownload = createExportHandler(services);
  const imageFiles = createImagesHandler(services, bounds);
  const legacySockets = createLegacySocketServer({
    services,
    limits,
    bounds,
    maxSocketBacklogBytes: config.maxSocketBacklogBytes,
  });

  legacySockets.server.on('connection', (socket) => {
    metrics.observeSocket(socket, 'legacy');
    const connectionId = `legacy-${newRequestId()}`;
    socket.prependListener('message', () => enterLogContext({ connectionId }));
  });

  const upgradeRoutes: Array<{ matches: (path: string) => boolean; server: WebSocketServer }> = [
    { matches: (path) => path === '/trpc' || path === '/trpc/', server: trpcSockets },
    { matches: isLegacySocketPath, server: legacySockets.server },
  ];

  const server = createServer((req, res) =>
    withLogContext({ requestId: newRequestId() }, () => {
      res.once(
        'finish',
        bindLogContext(() =>
          log.debug('http request', { method: req.method, path: pathOf(req), status: res.statusCode }),
        ),
      );
      try {
        route(req, res);
      } catch (error) {
        // [L4] a bug in one request never ends the process.
        log.error('request failed', { path: pathOf(req), error });
        if (!res.headersSent) sendJson(res, 500, { error: errorCatalogue.Internal.message });
        else res.destroy();
      }
    }),
  );

  const route = (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req);
    for (const [name, value] of Object.entries(baseSecurityHeaders)) res.setHeader(name, value);
    if (!hostAllowed(req, config.access.allowedHosts)) {
      req.resume();
      sendJson(res, 421, { error: 'This server does not answer for that host' });
      return;
    }
    if (isStateChanging(req.method) && !originAllowed(req, config.access.allowedOrigins)) {
      req.resume();
      sendJson(res, 403, { error: 'Cross-origin requests are not allowed', tag: 'Forbidden' });
      return;
    }
    if (path === '/healthz') {
      sendJson(res, shuttingDown ? 503 : 200, { status: shuttingDown ? 'shutting-down' : 'ok' });
      return;
    }
    const observe = observabilityRoute(observability, path);
    if (observe) {
      observe(res).catch((error: unknown) => {
        log.error('observability route failed', { path, error });
        if (!res.headersSent) sendJson(res, 500, { error: 'Internal server error' });
      });
      return;
    }
    if (path === '/trpc' || path.startsWith('/trpc/')) {
      trpcHttp(req, res);
      return;
    }
    if (isRestPath(path)) {
      rest(req, res, path);
      return;
    }
    if (isExportPath(path)) {
      exportDownload(req, res, path);
      return;
    }
    if (isImagesPath(path)) {
      imageFiles(req, res, path);
      return;
    }
    if (web) {
      web(req, res, () => sendJson(res, 404, { error: 'Not found' }));
      return;
    }
    sendJson(res, 404, { error: 'Not found' });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => log.debug('upgrade socket error', { error }));
    const path = pathOf(req);
    const route = shuttingDown ? undefined : upgradeRoutes.find((r) => r.matches(path));
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // [A5] a page on another site cannot open a socket that acts with this user's cookie.
    if (!hostAllowed(req, config.access.allowedHosts) || !originAllowed(req, config.access.allowedOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    // [L3] connections per client address, counted until the socket closes.
    const release = bounds.connections.open(bounds.addressOf(req));
    if (!release) {
      const body = JSON.stringify({
        error: { message: 'Too many connections from this address', data: { tag: 'TooManyConnections' } },
      });
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${retryAfterSeconds(connectionRetryAfterMs)}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    socket.once('close', release);
    route.server.handleUpgrade(req, socket, head, (ws) => {
      if (ws instanceof BoundedSocket) {
        ws.budget = bounds.output;
        bounds.output.track(ws);
      }
      route.server.emit('connection', ws, req);
    });
  });

  return {
    server,
    /** [S5] stop accepting, tell WebSocket clients to reconnect (elsewhere), close their sockets. */
    async beginShutdown(): Promise<void> {
      shuttingDown = true;
      server.close();
      trpcWs.broadcastReconnectNotification();
      // Give clients a moment to receive the notification before their sockets close.
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const route of upgradeRoutes) {
        for (const client of route.server.clients) client.close(1012, 'server restarting');
      }
      server.closeIdleConnections();
    },
  };
}

/** The catalogue tag a tRPC error is answered with, as the error formatter derives it. */
function errorTag(error: { code: string; cause?: unknown }): string {
  const tag = (error.cause as { _tag?: unknown } | undefined)?._tag;
  if (isErrorTag(tag)) return tag;
  return tagByCode[error.code] ?? (error.code === 'INTERNAL_SERVER_ERROR' ? 'Internal' : error.code);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}
