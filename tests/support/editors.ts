import { type ClientSession, type CollabClient, createCollabClient } from '@collab/client';
import WebSocket from 'ws';
import { type Link, startLink } from './proxy.js';
import type { ServerProcess } from './server.js';

/** A client editing one document through a link it can lose or move to another instance. */
export interface Editor {
  readonly name: string;
  readonly client: CollabClient;
  readonly session: ClientSession;
  readonly link: Link;
  /** The server (instance) the link points at. */
  instance: ServerProcess;
}

export async function openEditor(name: string, instance: ServerProcess, docId: string): Promise<Editor> {
  const link = await startLink(instance.port);
  const client = createCollabClient({
    url: `ws://127.0.0.1:${link.port}/trpc`,
    WebSocket,
    retryDelayMs: () => 50,
  });
  try {
    const session = await client.openDocument(docId);
    return { name, client, session, link, instance };
  } catch (error) {
    client.close();
    await link.close();
    throw error;
  }
}

/** Points an editor's link at another instance; its open connection is cut so that it reconnects there. */
export function moveEditor(editor: Editor, to: ServerProcess): void {
  editor.link.retarget(to.port);
  editor.instance = to;
  editor.link.cut();
  editor.link.restore();
}

export async function closeEditors(editors: readonly Editor[]): Promise<void> {
  for (const editor of editors) {
    editor.client.close();
    await editor.link.close();
  }
}

/** A plain client of one server (instance), to ask it directly. */
export function directClient(instance: ServerProcess): CollabClient {
  return createCollabClient({ url: instance.wsUrl, WebSocket, retryDelayMs: () => 50 });
}
