import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import type { AppServices } from '../app.js';
import type { AppConfig } from '../config.js';
import { createLegacySocketServer, isLegacySocketPath } from '../legacy/LegacySocket.js';
import { log } from '../log.js';
import { appRouter } from '../router/index.js';
import { type Connection, httpConnection, type TrpcContext, websocketConnection } from '../trpc/context.js';
import { runEffect } from '../trpc/run.js';
import { createExportHandler, isExportPath } from './exportRoute.js';
import { sendJson } from './json.js';
import { createRestHandler, isRestPath } from './rest.js';

/** A connect-style handler (SvelteKit's adapter-node `handler`). */
export type WebHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

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
  let shuttingDown = false;

  const baseContext = {
    run: runEffect,
    services,
    limits,
    maxSocketBacklogBytes: config.maxSocketBacklogBytes,
  };

  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: limits.maxMessageBytes,
    createContext: ({ req }): TrpcContext => ({
      ...baseContext,
      request: req,
      connection: httpConnection(req, limits.maxOpsPerSecond),
    }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        log.error('tRPC error', { path, error: error.cause ?? error });
    },
  });

  const connections = new WeakMap<object, Connection>();
  // Frames up to twice the message limit are read, so an oversized request is answered with a clear
  // error (LimitExceeded, by the input guard) instead of a dropped socket that the client would retry.
  const trpcSockets = new WebSocketServer({
    noServer: true,
    maxPayload: 2 * limits.maxMessageBytes + 65_536,
  });
  trpcSockets.on('connection', (socket) => {
    const connection = websocketConnection(socket, limits.maxOpsPerSecond);
    connections.set(socket, connection);
    connection.onClose(() => services.presence.dropConnection(connection.id));
    // A frame over the hard cap or a broken peer: `ws` closes the socket; without a listener it would throw.
    socket.on('error', (error) => log.debug('socket error', { connection: connection.id, error }));
  });
  const trpcWs = applyWSSHandler({
    wss: trpcSockets,
    router: appRouter,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    createContext: ({ req, res }): TrpcContext => {
      const connection = connections.get(res) ?? websocketConnection(res, limits.maxOpsPerSecond);
      return { ...baseContext, request: req, connection };
    },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        log.error('tRPC error', { path, error: error.cause ?? error });
    },
  });

  const rest = createRestHandler({ services, limits });
  const exportDownload = createExportHandler(services);
  const legacySockets = createLegacySocketServer({
    services,
    limits,
    maxSocketBacklogBytes: config.maxSocketBacklogBytes,
  });

  const upgradeRoutes: Array<{ matches: (path: string) => boolean; server: WebSocketServer }> = [
    { matches: (path) => path === '/trpc' || path === '/trpc/', server: trpcSockets },
    { matches: isLegacySocketPath, server: legacySockets.server },
  ];

  const server = createServer((req, res) => {
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
    if (isExportPath(path)) {
      exportDownload(req, res, path);
      return;
    }
    if (web) {
      web(req, res, () => sendJson(res, 404, { error: 'Not found' }));
      return;
    }
    sendJson(res, 404, { error: 'Not found' });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = pathOf(req);
    const route = shuttingDown ? undefined : upgradeRoutes.find((r) => r.matches(path));
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    route.server.handleUpgrade(req, socket, head, (ws) => route.server.emit('connection', ws, req));
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
