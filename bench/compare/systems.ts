/**
 * The three servers the comparison runs, each in a child process on 127.0.0.1, and the thin clients the
 * load generator drives them with. A receiver only counts the frames it gets (a probe also reads which
 * ops a frame carries, to time them); an editor inserts one character at a random position.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer } from '@collab/server/testing';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';

/** Told the key of every op a probe sees arrive. */
export type Probe = (key: string) => void;

export interface Client {
  /** Resolves once the client follows the document. */
  readonly ready: Promise<void>;
  /** Frames received so far. */
  frames(): number;
  close(): void;
}

export interface Editor extends Client {
  /** Inserts one character at a random position; the key of the op, as probes will see it. */
  type(): string | undefined;
}

export interface RunningSystem {
  readonly name: string;
  readonly pid: number;
  seed(docId: string, ops: readonly object[]): Promise<void>;
  receiver(docId: string, probe?: Probe): Client;
  /** `length`: the document's length when seeded (every op after that inserts one character). */
  editor(docId: string, index: number, length: number): Editor;
  /** Time (ms) for a fresh client to connect and hold the whole document, decoded. */
  load(docId: string): Promise<number>;
  heapUsedBytes(): Promise<number>;
  stop(): Promise<void>;
}

export interface System {
  readonly name: string;
  start(options: { cpuProfileDir?: string; dataDir: string }): Promise<RunningSystem>;
}

const randomBelow = (n: number) => Math.floor(Math.random() * Math.max(1, n));

/**
 * `fetch`, sent once more when the connection was reset: a kept-alive connection the server closed
 * after a quiet spell (its keep-alive timeout) can be picked for the request just as it closes.
 */
async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

/** One WebSocket that counts its frames; `onMessage` sees each one. */
function socketClient(
  url: string,
  onOpen: (socket: WebSocket) => void,
  onMessage: (data: Buffer) => boolean,
) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  let frames = 0;
  let markReady: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  socket.on('open', () => onOpen(socket));
  socket.on('message', (data: Buffer) => {
    frames++;
    if (onMessage(data)) markReady();
  });
  socket.on('error', (error) => fail(error));
  socket.on('close', () => fail(new Error(`socket closed after ${frames} frames`)));
  // A failure after the client was ready is counted by the scenario (fewer deliveries), not thrown.
  ready.catch(() => {});
  return { socket, ready, frames: () => frames, close: () => socket.terminate() };
}

// ---------------------------------------------------------------------------------------------------
// This server: tRPC over WebSocket, the JSON-RPC messages any client can send.

const opKey = /"clientId":"([^"]+)","seq":(\d+)/g;
const versionOf = /"version":(\d+)/g;

function collabSystem(): System {
  return {
    name: 'this server',
    async start({ cpuProfileDir, dataDir }) {
      const server = await startServer({
        env: {
          SQLITE_PATH: `${dataDir}/collab.sqlite`,
          LOG_LEVEL: 'info',
          MAX_OPS_PER_SECOND: '100000',
          MAX_CONNECTIONS_PER_ADDRESS: '100000',
          MAX_CONNECTIONS_PER_DOCUMENT: '100000',
          MAX_BYTES_PER_PRINCIPAL: String(64 * 1024 ** 3),
          MAX_CREATES_PER_MINUTE: '100000',
          MAX_CREATES_PER_MINUTE_PER_ADDRESS: '100000',
          SERVE_WEB: 'false',
        },
        nodeArgs: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [],
      });
      const pid = server.child.pid ?? 0;
      let requestId = 0;
      const subscribe = (docId: string) =>
        JSON.stringify({
          id: ++requestId,
          method: 'subscription',
          params: { path: 'documents.changes', input: { id: docId, sinceVersion: 0 } },
        });
      return {
        name: 'this server',
        pid,
        async seed(docId, ops) {
          const res = await request(`${server.httpUrl}/trpc/documents.create`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: docId, delta: { ops } }),
          });
          if (!res.ok) throw new Error(`seeding ${docId}: ${res.status} ${await res.text()}`);
        },
        receiver(docId, probe) {
          let started = false;
          return socketClient(
            server.wsUrl,
            (socket) => socket.send(subscribe(docId)),
            (data) => {
              if (probe)
                for (const [, clientId, seq] of String(data).matchAll(opKey)) probe(`${clientId}:${seq}`);
              if (started) return false;
              started = data.includes('"started"');
              return started;
            },
          );
        },
        editor(docId, index, length) {
          const clientId = `anon.e${index}`;
          let version = 0;
          let seq = 0;
          const client = socketClient(
            server.wsUrl,
            (socket) => socket.send(subscribe(docId)),
            (data) => {
              const text = String(data);
              for (const [, v] of text.matchAll(versionOf)) version = Math.max(version, Number(v));
              return text.includes('"started"');
            },
          );
          return {
            ...client,
            type() {
              if (client.socket.readyState !== WebSocket.OPEN) return undefined;
              const at = randomBelow(length + version - 1);
              const ops = at > 0 ? [{ retain: at }, { insert: 'x' }] : [{ insert: 'x' }];
              const input = { id: docId, clientId, seq, baseVersion: version, delta: { ops } };
              client.socket.send(
                JSON.stringify({
                  id: ++requestId,
                  method: 'mutation',
                  params: { path: 'documents.submit', input },
                }),
              );
              return `${clientId}:${seq++}`;
            },
          };
        },
        async load(docId) {
          const started = performance.now();
          const input = JSON.stringify({ id: docId });
          return new Promise((resolve, reject) => {
            const socket = new WebSocket(server.wsUrl, { perMessageDeflate: false });
            socket.on('open', () =>
              socket.send(
                JSON.stringify({
                  id: 1,
                  method: 'query',
                  params: { path: 'documents.get', input: JSON.parse(input) },
                }),
              ),
            );
            socket.on('message', (data) => {
              const answer = JSON.parse(String(data)) as { result?: { data?: { delta?: unknown } } };
              if (!answer.result?.data?.delta) return reject(new Error('no document in the answer'));
              resolve(performance.now() - started);
              socket.terminate();
            });
            socket.on('error', reject);
          });
        },
        async heapUsedBytes() {
          const text = await (await request(`${server.httpUrl}/metrics`)).text();
          const match = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
          return match ? Number(match[1]) : Number.NaN;
        },
        async stop() {
          await server.stop();
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Peers: a child process printing `ports <service> <control>`.

async function startPeer(script: string, cpuProfileDir: string | undefined) {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []), '--import', 'tsx', script],
    { cwd: fileURLToPath(new URL('../peers/', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [port, controlPort] = await new Promise<[number, number]>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ports (\d+) (\d+)/.exec(output);
      if (match) resolve([Number(match[1]), Number(match[2])]);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const control = `http://127.0.0.1:${controlPort}`;
  return {
    pid: child.pid ?? 0,
    url: `ws://127.0.0.1:${port}`,
    async seed(docId: string, ops: readonly object[]) {
      const res = await request(`${control}/seed/${docId}`, { method: 'POST', body: JSON.stringify(ops) });
      if (!res.ok) throw new Error(`seeding ${docId}: ${await res.text()}`);
    },
    async heapUsedBytes() {
      return ((await (await request(`${control}/memory`)).json()) as { heapUsed: number }).heapUsed;
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// ShareDB 7 + rich-text: its JSON protocol (handshake, subscribe, op), one message per op per subscriber.

interface ShareDbMessage {
  a?: string;
  v?: number;
  src?: string;
  seq?: number;
  op?: unknown;
  id?: string;
  data?: { v?: number; data?: unknown };
}

function sharedbSystem(): System {
  return {
    name: 'ShareDB',
    async start({ cpuProfileDir }) {
      const peer = await startPeer('sharedbServer.ts', cpuProfileDir);
      const open = (socket: WebSocket, docId: string, action: 's' | 'f') => {
        socket.send(JSON.stringify({ a: 'hs', id: null }));
        socket.send(JSON.stringify({ a: action, c: 'docs', d: docId }));
      };
      return {
        name: 'ShareDB',
        pid: peer.pid,
        seed: peer.seed,
        heapUsedBytes: peer.heapUsedBytes,
        stop: peer.stop,
        receiver(docId, probe) {
          return socketClient(
            peer.url,
            (socket) => open(socket, docId, 's'),
            (data) => {
              if (probe) {
                const message = JSON.parse(String(data)) as ShareDbMessage;
                if (message.a === 'op' && message.op) probe(`${message.src}:${message.seq}`);
                return message.a === 's';
              }
              return data.includes('"a":"s"');
            },
          );
        },
        editor(docId, _index, length) {
          let src = '';
          let version = 0;
          let base = 0;
          let seq = 1;
          const client = socketClient(
            peer.url,
            (socket) => open(socket, docId, 's'),
            (data) => {
              const message = JSON.parse(String(data)) as ShareDbMessage;
              if (message.a === 'hs' && message.id) src = message.id;
              if (message.a === 's' && message.data?.v !== undefined) {
                version = message.data.v;
                base = version;
                return true;
              }
              if (message.a === 'op' && message.v !== undefined) version = Math.max(version, message.v + 1);
              return false;
            },
          );
          return {
            ...client,
            type() {
              if (client.socket.readyState !== WebSocket.OPEN) return undefined;
              const at = randomBelow(length + version - base - 1);
              const op = at > 0 ? [{ retain: at }, { insert: 'x' }] : [{ insert: 'x' }];
              client.socket.send(JSON.stringify({ a: 'op', c: 'docs', d: docId, v: version, seq, op }));
              return `${src}:${seq++}`;
            },
          };
        },
        async load(docId) {
          const started = performance.now();
          return new Promise((resolve, reject) => {
            const socket = new WebSocket(peer.url, { perMessageDeflate: false });
            socket.on('open', () => open(socket, docId, 'f'));
            socket.on('message', (data) => {
              const message = JSON.parse(String(data)) as ShareDbMessage;
              if (message.a !== 'f') return;
              if (!message.data?.data) return reject(new Error('no document in the answer'));
              resolve(performance.now() - started);
              socket.terminate();
            });
            socket.on('error', reject);
          });
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Hocuspocus 4: its binary protocol (document name, message type, then y-protocols sync messages).

const messageSync = 0;
const messageAuth = 2;
const syncStep1 = 0;
const syncStep2 = 1;
const syncUpdate = 2;

function hocuspocusFrame(docId: string, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, docId);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** Authenticates (no token) and asks for what the server has beyond `stateVector`. */
function hocuspocusOpen(socket: WebSocket, docId: string, stateVector: Uint8Array) {
  socket.send(
    hocuspocusFrame(docId, (e) => {
      encoding.writeVarUint(e, messageAuth);
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, '');
    }),
  );
  socket.send(
    hocuspocusFrame(docId, (e) => {
      encoding.writeVarUint(e, messageSync);
      encoding.writeVarUint(e, syncStep1);
      encoding.writeVarUint8Array(e, stateVector);
    }),
  );
}

/** The sync payload of a Hocuspocus frame: step 2 or an update, else undefined. */
function hocuspocusUpdate(data: Buffer): { step2: boolean; update: Uint8Array } | undefined {
  const decoder = decoding.createDecoder(data);
  decoding.readVarString(decoder);
  if (decoding.readVarUint(decoder) !== messageSync) return undefined;
  const kind = decoding.readVarUint(decoder);
  if (kind !== syncStep2 && kind !== syncUpdate) return undefined;
  return { step2: kind === syncStep2, update: decoding.readVarUint8Array(decoder) };
}

const emptyStateVector = Y.encodeStateVector(new Y.Doc());

function hocuspocusSystem(): System {
  return {
    name: 'Hocuspocus',
    async start({ cpuProfileDir }) {
      const peer = await startPeer('hocuspocusServer.ts', cpuProfileDir);
      return {
        name: 'Hocuspocus',
        pid: peer.pid,
        seed: peer.seed,
        heapUsedBytes: peer.heapUsedBytes,
        stop: peer.stop,
        receiver(docId, probe) {
          let synced = false;
          return socketClient(
            peer.url,
            (socket) => hocuspocusOpen(socket, docId, emptyStateVector),
            (data) => {
              if (synced && !probe) return false;
              const sync = hocuspocusUpdate(data);
              if (!sync) return false;
              if (probe && !sync.step2) {
                const { from, to } = Y.parseUpdateMeta(sync.update);
                for (const [client, clock] of from) {
                  const end = to.get(client) ?? clock;
                  for (let at = clock; at < end; at++) probe(`${client}:${at}`);
                }
              }
              if (synced || !sync.step2) return false;
              synced = true;
              return true;
            },
          );
        },
        editor(docId) {
          // The editor's copy holds the document as it was when it joined plus its own edits: an insert
          // made there is a valid concurrent change, so it need not apply what the others type.
          const doc = new Y.Doc();
          const text = doc.getText('default');
          let synced = false;
          const client = socketClient(
            peer.url,
            (socket) => hocuspocusOpen(socket, docId, Y.encodeStateVector(doc)),
            (data) => {
              if (synced) return false;
              const sync = hocuspocusUpdate(data);
              if (!sync?.step2) return false;
              Y.applyUpdate(doc, sync.update, 'server');
              synced = true;
              return true;
            },
          );
          doc.on('update', (update: Uint8Array, origin: unknown) => {
            if (origin === 'server' || client.socket.readyState !== WebSocket.OPEN) return;
            client.socket.send(
              hocuspocusFrame(docId, (e) => {
                encoding.writeVarUint(e, messageSync);
                encoding.writeVarUint(e, syncUpdate);
                encoding.writeVarUint8Array(e, update);
              }),
            );
          });
          return {
            ...client,
            type() {
              if (!synced || client.socket.readyState !== WebSocket.OPEN) return undefined;
              const key = `${doc.clientID}:${Y.getState(doc.store, doc.clientID)}`;
              text.insert(randomBelow(text.length - 1), 'x');
              return key;
            },
          };
        },
        async load(docId) {
          const started = performance.now();
          return new Promise((resolve, reject) => {
            const socket = new WebSocket(peer.url, { perMessageDeflate: false });
            socket.on('open', () => hocuspocusOpen(socket, docId, emptyStateVector));
            socket.on('message', (data: Buffer) => {
              const sync = hocuspocusUpdate(data);
              if (!sync?.step2) return;
              const doc = new Y.Doc();
              Y.applyUpdate(doc, sync.update);
              if (doc.getText('default').length === 0) return reject(new Error('an empty document'));
              resolve(performance.now() - started);
              socket.terminate();
            });
            socket.on('error', reject);
          });
        },
      };
    },
  };
}

export const systems: readonly System[] = [collabSystem(), sharedbSystem(), hocuspocusSystem()];
