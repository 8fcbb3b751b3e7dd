import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorCatalogue } from '@collab/protocol';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import type { AppServices } from '../app.js';
import type { AppConfig } from '../config.js';
import { createLegacySocketServer, isLegacySocketPath } from '../legacy/LegacySocket.js';
import { BoundedSocket, connectionRetryAfterMs, createBounds, retryAfterSeconds } from '../limits/index.js';
import { log } from '../log.js';
import { appRouter } from '../router/index.js';
import { type Connection, httpConnection, type TrpcContext, websocketConnection } from '../trpc/context.js';
import { runEffect } from '../trpc/run.js';
import { sendJson } from './json.js';
import { createRestHandler, isRestPath } from './rest.js';
import type { WebHandler } from './webFiles.js';

export interface HttpServerOptions {
  readonly config: AppConfig;
  readonly services: AppServices;
  readonly web: WebHandler | undefined;
}

/**
 * One port for everything (DESIGN.md §3): tRPC over HTTP and WebSocket at `/trpc`, health at `/healthz`,
 * the seed's REST routes under `/api/database` and its WebSocket at `/api/socket/ws/{id}` (§6), and the web
 * app on every other path.
 */
export function createAppServer({ config, services, web }: HttpServerOptions) {
  const { limits } = config;
  const bounds = createBounds(config.bounds, limits, config.maxSocketBacklogBytes);
  let shuttingDown = false;

  const baseContext = {
    run: runEffect,
    services,
    limits,
    bounds,
    maxSocketBacklogBytes: config.maxSocketBacklogBytes,
  };

  /** [L4] an unexpected failure is logged with the id of its request or connection; the client learns nothing of it. */
  const logInternal = ({
    error,
    path,
    ctx,
  }: {
    error: { code: string; cause?: unknown };
    path?: string;
    ctx?: TrpcContext;
  }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR')
      log.error('tRPC error', { path, requestId: ctx?.connection.id, error: error.cause ?? error });
  };

  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: limits.maxMessageBytes,
    // [L2] a batch is bounded in calls here, and in answer bytes by the request's answer budget.
    maxBatchSize: config.bounds.maxBatchSize,
    createContext: ({ req }): TrpcContext => ({
      ...baseContext,
      request: req,
      connection: httpConnection(req, bounds),
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
    onError: logInternal,
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
    connection.onClose(() => services.presence.dropConnection(connection.id));
    // A frame over the hard cap or a broken peer: `ws` closes the socket; without a listener it would throw.
    socket.on('error', (error) => log.debug('socket error', { connection: connection.id, error }));
  });
  const trpcWs = applyWSSHandler({
    wss: trpcSockets,
    router: appRouter,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    // A reconnecting client resubscribes all its streams in one message.
    maxBatchSize: Math.max(config.bounds.maxBatchSize, config.bounds.maxStreamsPerConnection),
    createContext: ({ req, res }): TrpcContext => {
      const connection =
        connections.get(res) ?? websocketConnection(res, bounds.addressOf(req), limits, bounds);
      return { ...baseContext, request: req, connection };
    },
    onError: logInternal,
  });

  const rest = createRestHandler({ services, limits, bounds });
  const legacySockets = createLegacySocketServer({
    services,
    limits,
    bounds,
    maxSocketBacklogBytes: config.maxSocketBacklogBytes,
  });

  const upgradeRoutes: Array<{ matches: (path: string) => boolean; server: WebSocketServer }> = [
    { matches: (path) => path === '/trpc' || path === '/trpc/', server: trpcSockets },
    { matches: isLegacySocketPath, server: legacySockets.server },
  ];

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (error) {
      // [L4] a bug in one request never ends the process.
      log.error('request failed', { path: pathOf(req), error });
      if (!res.headersSent) sendJson(res, 500, { error: errorCatalogue.Internal.message });
      else res.destroy();
    }
  });

  const route = (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req);
    if (path === '/healthz') {
      sendJson(res, shuttingDown ? 503 : 200, { status: shuttingDown ? 'shutting-down' : 'ok' });
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

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}
