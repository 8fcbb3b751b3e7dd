import { once } from 'node:events';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { enterLogContext, log, redirectLogs, setLogLevel, withLogContext } from '../src/log.js';

/** Collects the JSON lines written by the logger. */
function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const restore = redirectLogs(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw.push(chunk.toString());
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { lines, raw: () => raw.join(''), restore };
}

let capture: ReturnType<typeof captureLogs> | undefined;
afterEach(() => {
  capture?.restore();
  setLogLevel('info');
});

describe('[O2] structured logs', () => {
  it('[O2] one JSON object per line: level, time, message first, then the fields', () => {
    capture = captureLogs();
    log.info('listening', { port: 8000, host: '127.0.0.1' });
    expect(capture.raw()).toMatch(
      /^\{"level":"info","time":"[^"]+","msg":"listening","port":8000,"host":"127.0.0.1"\}\n$/,
    );
  });

  it('[O2] every line of a request carries its id, also after it awaited', async () => {
    capture = captureLogs();
    await withLogContext({ requestId: 'request-1' }, async () => {
      log.info('before');
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.warn('after');
    });
    log.info('outside');
    expect(capture.lines.map((line) => [line.msg, line.requestId])).toEqual([
      ['before', 'request-1'],
      ['after', 'request-1'],
      ['outside', undefined],
    ]);
  });

  it('[O2] lines written while handling a socket message carry the connection id', async () => {
    capture = captureLogs();
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    const handled = new Promise<void>((resolve) => {
      server.on('connection', (socket) => {
        socket.prependListener('message', () => enterLogContext({ connectionId: 'ws-7' }));
        socket.on('message', async () => {
          await Promise.resolve();
          log.info('frame handled');
          resolve();
        });
      });
    });
    const { port } = server.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    await once(client, 'open');
    client.send('hello');
    await handled;
    client.close();
    server.close();
    expect(capture.lines.find((line) => line.msg === 'frame handled')?.connectionId).toBe('ws-7');
  });

  it('[O2] document contents never reach a line', () => {
    capture = captureLogs();
    const secret = 'a sentence only the document holds';
    log.error('request failed', {
      docId: 'doc',
      delta: { ops: [{ insert: secret }] },
      op: { version: 3, delta: { ops: [{ insert: secret }] } },
      frame: { key: 'changes-received', value: secret },
      snapshot: { ops: [{ insert: secret }] },
      Data: secret,
    });
    expect(capture.raw()).not.toContain(secret);
    expect(capture.lines[0]).toMatchObject({ docId: 'doc', op: { version: 3, delta: '[content]' } });
  });

  it('[O2] errors keep their message and stack; the level threshold holds', () => {
    capture = captureLogs();
    setLogLevel('warn');
    log.info('dropped');
    log.error('failed', { error: new Error('disk full') });
    expect(capture.lines).toHaveLength(1);
    const error = capture.lines[0]?.error as { message: string; stack: string };
    expect(error.message).toBe('disk full');
    expect(error.stack).toContain('log.test.ts');
  });
});
