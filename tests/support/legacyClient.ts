import { applyChange, Delta, validateChange } from '@collab/ot';
import WebSocket from 'ws';
import { deltaText, waitFor } from './editing.js';

/** A frame of the seed's protocol, as received. */
export interface LegacyFrame {
  readonly key: string;
  readonly value: string;
}

/**
 * What Quill's `updateContents` does with a change: apply it; one that reaches past the end (possible
 * only when frames crossed) works inside the document and keeps the final newline.
 */
export function applyLikeQuill(doc: Delta, change: Delta): Delta {
  if (validateChange(change, doc) === undefined) return applyChange(doc, change);
  const length = doc.length();
  const kept = new Delta();
  let index = 0;
  for (const op of change.ops) {
    if (op.insert !== undefined) {
      if (index < length) kept.push(op);
    } else if (typeof op.retain === 'number') {
      const count = Math.min(op.retain, length - index);
      if (count > 0) kept.retain(count, op.attributes);
      index += Math.max(count, 0);
    } else if (typeof op.delete === 'number') {
      const count = Math.min(op.delete, length - 1 - index);
      if (count > 0) kept.delete(count);
      index += Math.max(count, 0);
    }
  }
  return applyChange(doc, kept.chop());
}

/** Reads a seed document answer: `{"id", "Data"}` JSON text whose `Data` is the delta's JSON text. */
export function parseLegacyDocument(value: string): { id: string; delta: Delta } {
  const doc = JSON.parse(value) as { id: string; Data: string };
  const data = JSON.parse(doc.Data) as { ops: Delta['ops'] } | Delta['ops'];
  return { id: doc.id, delta: new Delta(Array.isArray(data) ? data : data.ops) };
}

/**
 * The seed's React client (TextEditor.js) reduced to its protocol: on open it asks for the document, sets
 * its contents from `db-document`, sends each local edit as `changes-received` at once (never waiting for
 * anything), applies each `update-document` as it comes, and sends its whole contents as `save-changes`
 * every `autosaveMs`. `ws` answers pings by itself, after handling the frames before them.
 */
export class LegacyClient {
  readonly socket: WebSocket;
  /** What the editor shows; undefined until the first `db-document`. */
  contents: Delta | undefined;
  /** Every frame received, in order. */
  readonly received: LegacyFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #autosave: ReturnType<typeof setInterval> | undefined;
  /** Frames received while the page is busy, not applied yet. */
  #unhandled: LegacyFrame[] | undefined;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as LegacyFrame;
      this.received.push(frame);
      if (this.#unhandled) this.#unhandled.push(frame);
      else this.#handle(frame);
    });
  }

  #handle(frame: LegacyFrame): void {
    if (frame.key === 'db-document') this.contents = parseLegacyDocument(frame.value).delta;
    else if (frame.key === 'update-document' && this.contents) {
      this.contents = applyLikeQuill(this.contents, new Delta(JSON.parse(frame.value).ops));
    }
  }

  /**
   * From now on the page is busy: frames arrive (and pings are answered, by the socket) but wait to be
   * applied, as in a browser whose page handles queued keystrokes before network messages.
   */
  busyPage(): void {
    this.#unhandled ??= [];
  }

  /** The page catches up: the frames that waited are applied, in order. */
  pageCatchesUp(): void {
    const frames = this.#unhandled ?? [];
    this.#unhandled = undefined;
    for (const frame of frames) this.#handle(frame);
  }

  /** Connects to `/api/socket/ws/{docId}` on `port` (the server, or a link in front of it). */
  static connect(port: number, docId: string): Promise<LegacyClient> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/socket/ws/${docId}`);
    const client = new LegacyClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  /** Connects and loads the document the way the seed's client does on mount. */
  static async open(port: number, docId: string, autosaveMs?: number): Promise<LegacyClient> {
    const client = await LegacyClient.connect(port, docId);
    client.sendFrame('get-document', '');
    await client.nextFrame('db-document');
    if (autosaveMs) client.startAutosave(autosaveMs);
    return client;
  }

  /** Frames of one key received so far. */
  framesOf(key: string): LegacyFrame[] {
    return this.received.filter((frame) => frame.key === key);
  }

  errors(): string[] {
    return this.framesOf('error').map((frame) => frame.value);
  }

  sendFrame(key: string, value: unknown): void {
    this.socket.send(JSON.stringify({ key, value }));
  }

  sendRaw(data: string | Buffer, options?: { binary: boolean }): void {
    this.socket.send(data, options ?? {});
  }

  /** A local edit (a Quill `text-change` from the user): shown at once and sent. */
  edit(change: Delta): void {
    if (!this.contents) throw new Error('no document loaded');
    this.contents = applyChange(this.contents, change);
    this.sendFrame('changes-received', JSON.stringify(change));
  }

  /** The seed's autosave: `save-changes` with `JSON.stringify(quill.getContents())`. */
  save(): void {
    if (this.contents) this.sendFrame('save-changes', JSON.stringify(this.contents));
  }

  startAutosave(ms: number): void {
    this.#autosave = setInterval(() => this.save(), ms);
  }

  /** Resolves with the next frame of `key` received after the call (or already received past `after`). */
  async nextFrame(key: string, after = this.received.length): Promise<LegacyFrame> {
    await waitFor(() => this.received.slice(after).some((frame) => frame.key === key), `a "${key}" frame`);
    return this.received.slice(after).find((frame) => frame.key === key) as LegacyFrame;
  }

  /** Text of the document as the editor shows it (embeds left out). */
  text(): string {
    return deltaText({ ops: this.contents?.ops ?? [] });
  }

  close(): Promise<{ code: number; reason: string }> {
    clearInterval(this.#autosave);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close();
    }
    return this.closed;
  }
}
