import type { ClientSession } from '@collab/client';
import type { CommittedOp } from '@collab/protocol';
import { expect } from 'vitest';
import { deltaText, waitFor } from './editing.js';
import type { Api } from './trpc.js';

/** Every committed op of a document, oldest first, following `documents.history` pages. */
export async function fullHistory(api: Api, id: string): Promise<CommittedOp[]> {
  const ops: CommittedOp[] = [];
  let from = 0;
  for (;;) {
    const page = await api.documents.history.query({ id, fromVersion: from });
    ops.push(...page.ops);
    if (page.nextFromVersion === null) return ops;
    from = page.nextFromVersion;
  }
}

/** [D2] versions are 1..head with no gap and [C3] no op was committed twice. Returns the history. */
export async function expectCleanHistory(api: Api, id: string, head: number): Promise<CommittedOp[]> {
  const ops = await fullHistory(api, id);
  expect(ops.map((op) => op.version)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  const ids = ops.map((op) => `${op.clientId}/${op.seq}`);
  expect(new Set(ids).size).toBe(ids.length);
  return ops;
}

/** Every op a `documents.changes` subscriber received (an acknowledgement [C2]): `clientId/seq` by version. */
export interface Acknowledged {
  readonly ops: ReadonlyMap<number, string>;
  unsubscribe(): void;
}

export function recordAcknowledged(api: Api, id: string): Acknowledged {
  const ops = new Map<number, string>();
  const subscription = api.documents.changes.subscribe(
    { id, sinceVersion: 0 },
    {
      onData: ({ data }) => {
        for (const op of data.ops) ops.set(op.version, `${op.clientId}/${op.seq}`);
      },
    },
  );
  return { ops, unsubscribe: () => subscription.unsubscribe() };
}

/** Every acknowledged op is still in `history`, at the version it was acknowledged at. */
export function expectAcknowledgedKept(history: readonly CommittedOp[], acknowledged: Acknowledged): void {
  for (const [version, id] of acknowledged.ops) {
    const op = history[version - 1];
    expect(`${op?.clientId}/${op?.seq}`).toBe(id);
  }
}

/** Something editing the document; `name` only labels it in failure messages. */
export interface EditingSession {
  readonly session: ClientSession;
  readonly name?: string;
}

/**
 * Waits until every edit is acknowledged, every observer (a server, or instance, asked directly) serves the
 * same version and every editor sits at that version; then checks that editors and observers hold the same
 * contents [C5]. Resolves with the stored document and its text.
 */
export async function expectConverged(
  id: string,
  editors: readonly EditingSession[],
  observers: readonly { readonly api: Api }[],
) {
  const label = (editor: EditingSession, i: number) => editor.name ?? `#${i}`;
  await waitFor(
    () =>
      editors.every((e) => e.session.status.pendingEdits === 0 && e.session.status.connection === 'online'),
    `every edit acknowledged (${editors.map((e, i) => `${label(e, i)}:${e.session.status.pendingEdits}/${e.session.status.connection}`).join(' ')})`,
    30_000,
  );
  let snapshots: Awaited<ReturnType<Api['documents']['get']['query']>>[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    snapshots = await Promise.all(observers.map((o) => o.api.documents.get.query({ id })));
    const head = Math.max(...snapshots.map((s) => s.version));
    if (snapshots.every((s) => s.version === head) && editors.every((e) => e.session.version === head)) break;
    if (Date.now() > deadline) {
      throw new Error(
        `no convergence: observers at ${snapshots.map((s) => s.version).join(', ')}, editors at ${editors
          .map((e) => e.session.version)
          .join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [stored] = snapshots;
  if (!stored) throw new Error('no observer');
  for (const snapshot of snapshots) expect(snapshot.delta.ops).toEqual(stored.delta.ops);
  for (const editor of editors) expect(editor.session.contents.ops).toEqual(stored.delta.ops);
  return { ...stored, text: deltaText(stored.delta) };
}
