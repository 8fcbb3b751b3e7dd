/**
 * Three server processes over one storage and one Redis [S4]: clients on different instances edit one
 * document at once and converge; a client whose instance is SIGKILLed moves to another and loses nothing.
 */
import type { ClientSession, CollabClient } from '@collab/client';
import { Delta } from '@collab/client';
import { describe, expect, it } from 'vitest';
import { randomEdit, seededRandom, sleep } from '../support/editing.js';
import { closeEditors, directClient, type Editor, moveEditor, openEditor } from '../support/editors.js';
import {
  type Acknowledged,
  expectAcknowledgedKept,
  expectCleanHistory,
  expectConverged,
  recordAcknowledged,
} from '../support/history.js';
import type { ServerProcess } from '../support/server.js';
import { storageKinds } from '../support/storage.js';
import { useCluster } from './support.js';

/** Inserts a line `marker` at the start of a random line, so concurrent markers never split each other. */
function insertLine(session: ClientSession, random: () => number, marker: string): void {
  const text = session.contents.ops.map((op) => (typeof op.insert === 'string' ? op.insert : ' ')).join('');
  const starts = [0];
  for (let i = 0; i < text.length - 1; i++) if (text[i] === '\n') starts.push(i + 1);
  const at = starts[Math.floor(random() * starts.length)] ?? 0;
  session.apply(new Delta().retain(at).insert(`${marker}\n`));
}

describe.each(storageKinds)('multi-instance editing on %s', (kind) => {
  const suite = useCluster(kind, 3);

  it('[S4] [C5] clients on three instances edit one document concurrently, some moving between instances, and converge', async () => {
    const instances = suite.cluster.instances;
    const docId = `multi-converge-${kind}`;
    const editors: Editor[] = [];
    const observers = instances.map(directClient);
    const random = seededRandom(4242);
    try {
      for (let i = 0; i < 6; i++) {
        editors.push(await openEditor(String.fromCharCode(65 + i), instances[i % instances.length]!, docId));
      }
      for (let round = 0; round < 100; round++) {
        for (const editor of editors) {
          if (random() < 0.7) editor.session.apply(randomEdit(editor.session, random, `<${editor.name}>`));
        }
        // Now and then a client loses its connection and comes back on another instance, edits pending.
        if (round % 12 === 5) {
          const editor = editors[Math.floor(random() * editors.length)]!;
          const others = instances.filter((instance) => instance !== editor.instance);
          moveEditor(editor, others[Math.floor(random() * others.length)]!);
        }
        await sleep(random() * 30);
      }
      const stored = await expectConverged(docId, editors, observers);
      // Clients compose edits made while one is in flight, so the count follows the storage's speed.
      expect(stored.version).toBeGreaterThan(30);
      const ops = await expectCleanHistory(observers[0]!.api, docId, stored.version);
      // Every client's edits made it, whichever instance committed them.
      for (const editor of editors)
        expect(ops.some((op) => op.clientId === editor.client.clientId)).toBe(true);
    } finally {
      await closeEditors(editors);
      for (const observer of observers) observer.close();
    }
  });

  it('[S4] an op too large for a Redis message reaches the other instances through storage', async () => {
    const [a, b] = suite.cluster.instances as [ServerProcess, ServerProcess];
    const docId = `multi-large-${kind}`;
    const editors: Editor[] = [];
    const observers = [directClient(a), directClient(b)];
    try {
      editors.push(await openEditor('A', a, docId), await openEditor('B', b, docId));
      // About 200 KB of text in one op: announced by version only, read from storage by the receivers.
      const paste = 'lorem ipsum dolor sit amet '.repeat(8_000);
      editors[0]!.session.apply(new Delta().insert(paste));
      editors[1]!.session.apply(new Delta().insert('small '));
      const stored = await expectConverged(docId, editors, observers);
      expect(stored.text).toContain(paste);
      expect(stored.text).toContain('small ');
    } finally {
      await closeEditors(editors);
      for (const observer of observers) observer.close();
    }
  });

  it('[S4] [S1] a client whose instance is SIGKILLed reconnects to another and loses nothing', async () => {
    const [a, b, c] = suite.cluster.instances as [ServerProcess, ServerProcess, ServerProcess];
    const docId = `multi-kill-${kind}`;
    const editors: Editor[] = [];
    const observers: CollabClient[] = [directClient(a), directClient(b)];
    const random = seededRandom(777);
    const typed = new Set<string>();
    let counter = 0;
    const type = (editor: Editor) => {
      const marker = `${editor.name}-${counter++}`;
      typed.add(marker);
      insertLine(editor.session, random, marker);
    };
    // Every op the change stream delivered (an acknowledgement [C2]) must still be there, at its version.
    let acknowledged: Acknowledged | undefined;
    try {
      for (const [i, instance] of [a, a, b, b, c, c].entries()) {
        editors.push(await openEditor(`${['A', 'B', 'C'][Math.floor(i / 2)]}${i % 2}`, instance, docId));
      }
      acknowledged = recordAcknowledged(observers[0]!.api, docId);
      const edit = async (rounds: number) => {
        for (let round = 0; round < rounds; round++) {
          for (const editor of editors) if (random() < 0.8) type(editor);
          await sleep(random() * 20);
        }
      };
      await edit(25);

      // C's clients type once more (in flight or buffered), then C dies without a word.
      const stranded = editors.filter((editor) => editor.instance === c);
      for (const editor of stranded) type(editor);
      for (const [i, editor] of stranded.entries()) {
        const to = i % 2 === 0 ? a : b;
        editor.link.retarget(to.port);
        editor.instance = to;
      }
      expect(stranded.every((editor) => editor.session.status.pendingEdits > 0)).toBe(true);
      expect(await c.stop('SIGKILL')).toBeNull();

      await edit(25);
      const stored = await expectConverged(docId, editors, observers);
      // Nothing lost, nothing doubled: the document is exactly the lines typed, each once.
      const lines = stored.text.split('\n').filter((line) => line !== '');
      expect(lines.length).toBe(typed.size);
      expect(new Set(lines)).toEqual(typed);
      const ops = await expectCleanHistory(observers[0]!.api, docId, stored.version);
      expectAcknowledgedKept(ops, acknowledged);
    } finally {
      acknowledged?.unsubscribe();
      await closeEditors(editors);
      for (const client of observers) client.close();
    }
  });
});
