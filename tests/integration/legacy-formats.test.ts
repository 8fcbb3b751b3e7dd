import { randomUUID } from 'node:crypto';
import { type ClientSession, type CollabClient, createCollabClient, Delta } from '@collab/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sleep, waitFor } from '../support/editing.js';
import { LegacyClient, parseLegacyDocument } from '../support/legacyClient.js';
import { type ServerProcess, startServer } from '../support/server.js';
import { startStorage, type TestStorage } from '../support/storage.js';

/*
 * [C11] Quill 1 (the seed's client) writes a code block line as `{"code-block": true}`, Quill 2 as
 * `{"code-block": "plain"}`. The legacy socket translates both ways: the op log holds Quill 2's spelling,
 * the old tab only ever sees its own, and its autosave is never "corrected" over a spelling.
 */

let storage: TestStorage;
let server: ServerProcess;
let client: CollabClient;

beforeAll(async () => {
  storage = await startStorage('sqlite');
  server = await startServer({ env: storage.env('legacy-formats') });
  client = createCollabClient({ url: server.wsUrl, WebSocket, retryDelayMs: () => 50 });
});
afterAll(async () => {
  client?.close();
  await server?.stop();
  await storage?.stop();
});

const codeLine = (text: string, value: unknown) => [
  { insert: text },
  { insert: '\n', attributes: { 'code-block': value } },
];

describe('[C11] Quill 1 and Quill 2 format spellings', () => {
  it('[C11] a code block from an old tab is stored as Quill 2 spells it, and sent back as Quill 1 spells it', async () => {
    const id = randomUUID();
    const tab = await LegacyClient.open(server.port, id, 100);
    let session: ClientSession | undefined;
    try {
      tab.edit(new Delta().insert('let x'));
      tab.edit(new Delta().retain(5).retain(1, { 'code-block': true }));
      session = await client.openDocument(id);
      const opened = session;
      await waitFor(
        () => JSON.stringify(opened.contents.ops) === JSON.stringify(codeLine('let x', 'plain')),
        'the code block stored in Quill 2 spelling',
      );

      // A Quill 2 editor makes another code line; the old tab gets it in its own spelling.
      opened.apply(new Delta().retain(6).insert('y = 2').insert('\n', { 'code-block': 'plain' }));
      await waitFor(() => tab.text() === 'let x\ny = 2\n', 'the old tab has the new line');
      const updates = tab.framesOf('update-document').map((frame) => frame.value);
      expect(updates.join('')).not.toContain('"plain"');
      expect(tab.contents?.ops).toEqual([
        { insert: 'let x' },
        { insert: '\n', attributes: { 'code-block': true } },
        { insert: 'y = 2' },
        { insert: '\n', attributes: { 'code-block': true } },
      ]);

      // Several autosaves of Quill 1's spelling later, no correction was sent.
      const framesBefore = tab.received.length;
      for (let i = 0; i < 5; i++) {
        tab.save();
        await sleep(100);
      }
      expect(tab.received.slice(framesBefore)).toEqual([]);

      // A reload gives the old tab its own spelling too.
      const reloaded = await LegacyClient.open(server.port, id);
      try {
        const document = parseLegacyDocument((await reloaded.nextFrame('db-document', 0)).value);
        expect(JSON.stringify(document.delta.ops)).not.toContain('"plain"');
        expect(JSON.stringify(document.delta.ops)).toContain('"code-block":true');
      } finally {
        await reloaded.close();
      }
      expect(opened.contents.ops).toEqual([...codeLine('let x', 'plain'), ...codeLine('y = 2', 'plain')]);
    } finally {
      session?.close();
      await tab.close();
    }
  });
});
