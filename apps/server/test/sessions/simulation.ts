import {
  applyChange,
  ClientDocument,
  Delta,
  type IncomingOp,
  normalizeDocument,
  type OutgoingOp,
  validateDocument,
} from '@collab/ot';
import { buildChange, type Primitive } from '@collab/ot/testing';
import type { Op } from '@collab/protocol';
import { Effect, Exit, Scope } from 'effect';
import { expect } from 'vitest';
import type { DocumentSession } from '../../src/sessions/DocumentSession.js';
import * as SqliteStore from '../../src/storage/sqlite/SqliteStore.js';
import { openSession } from './support.js';

/*
 * A deterministic model of the whole system around the server's real `DocumentSession` (on an in-memory
 * SQLite store): N clients running the real client state machine, and a network with one FIFO queue per
 * client and direction. The test decides every delivery, so a schedule (a list of steps) replays exactly.
 * Disconnecting drops whatever is still in the queues; reconnecting catches the client up from its version
 * and resends its in-flight op [C3].
 */

interface Submission extends OutgoingOp {
  readonly clientId: string;
}

/*
 * One store for every simulation of a test file: the session and SQLite calls are synchronous, so a whole
 * schedule runs inside one property run without awaiting anything.
 */
const storeScope = Scope.makeUnsafe();
const store = Effect.runSync(SqliteStore.make({ path: ':memory:' }).pipe(Scope.provide(storeScope)));
const opened = new Set<DocumentSession>();
let documents = 0;

/** Disposes every session the simulations opened and closes their store (call in `afterAll`). */
export async function closeSimulations(): Promise<void> {
  for (const session of opened) session.dispose();
  opened.clear();
  await Effect.runPromise(Scope.close(storeScope, Exit.void));
}

/** The server's part, by its real code: [C1] rebase + validate + commit, [C3] dedupe by (clientId, seq). */
export class SessionServer {
  readonly log: IncomingOp[] = [];
  /** The document at every version, to check clients against the version they are at. */
  readonly documents: Delta[];
  /** Submissions answered without a commit: resends of ops already committed [C3]. */
  duplicates = 0;
  readonly #session: DocumentSession;
  #subscribers = new Set<(op: IncomingOp) => void>();

  constructor(initial: Delta) {
    const docId = `sim-${++documents}`;
    Effect.runSync(store.createDocument({ docId, version: 0, ops: initial.ops as Op[], updatedAt: 0 }));
    this.#session = openSession(store, docId).session;
    opened.add(this.#session);
    this.documents = [this.#session.document];
    this.#session.onCommit((committed) => {
      const op: IncomingOp = { ...committed, delta: new Delta(committed.delta.ops) };
      this.log.push(op);
      this.documents.push(this.#session.document);
      for (const listener of this.#subscribers) listener(op);
    });
  }

  get version(): number {
    return this.#session.version;
  }

  get document(): Delta {
    return this.#session.document;
  }

  subscribe(listener: (op: IncomingOp) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /** Returns the version the submission was committed as (its original version for a duplicate). */
  submit(submission: Submission): number {
    const head = this.version;
    // Throws when the session refuses the op: in a simulation every op is valid and must be committed.
    const version = Effect.runSync(
      this.#session.submit({
        clientId: submission.clientId,
        seq: submission.seq,
        baseVersion: submission.baseVersion,
        delta: submission.delta,
      }),
    );
    if (this.version === head) this.duplicates++;
    return version;
  }
}

class SimClient {
  readonly doc: ClientDocument;
  readonly up: Submission[] = [];
  down: IncomingOp[] = [];
  connected = true;
  /** Every seq this client handed out, to check each is committed exactly once. */
  readonly seqs = new Set<number>();
  #unsubscribe: (() => void) | undefined;

  constructor(
    readonly server: SessionServer,
    clientId: string,
  ) {
    this.doc = new ClientDocument({ clientId, version: server.version, contents: server.document });
    this.#subscribe();
  }

  #subscribe(): void {
    this.#unsubscribe = this.server.subscribe((op) => this.down.push(op));
  }

  /** Queues the in-flight op if it is due to be sent on this connection. */
  flush(): void {
    if (!this.connected) return;
    const outgoing = this.doc.takeOutgoing();
    if (outgoing === undefined) return;
    this.seqs.add(outgoing.seq);
    this.up.push({ ...outgoing, clientId: this.doc.clientId });
  }

  disconnect(): void {
    this.connected = false;
    this.up.length = 0;
    this.down = [];
    this.#unsubscribe?.();
    this.doc.markDisconnected();
  }

  /** Resubscribes from `version - replayOverlap` (an overlap exercises stale ops), then resends. */
  reconnect(replayOverlap: number): void {
    this.connected = true;
    this.down = this.server.log.slice(Math.max(0, this.doc.version - replayOverlap));
    this.#subscribe();
    this.flush();
  }
}

export type Step =
  | { kind: 'edit'; client: number; primitives: Primitive[] }
  | { kind: 'up'; client: number; count: number }
  | { kind: 'down'; client: number; count: number }
  /** `serverGotIt`: messages already on the wire reach the server, but no answer comes back. */
  | { kind: 'disconnect'; client: number; serverGotIt: boolean }
  | { kind: 'reconnect'; client: number; replayOverlap: number };

/** Tokens are unique characters (and embeds), so what survived of whose typing can be checked exactly. */
const FIRST_TOKEN = 0x4e00;
const LAST_TOKEN = 0x9fff;

export class Simulation {
  readonly server: SessionServer;
  readonly clients: SimClient[];
  /** Every token ever in the document, and every token some client deleted. */
  readonly inserted = new Set<string>();
  readonly deleted = new Set<string>();
  /** How the clients' `receive` calls turned out, so schedules can assert they hit a case. */
  readonly received = { ack: 0, remote: 0, stale: 0 };
  #nextToken = FIRST_TOKEN;

  constructor(initial: Delta, clientCount: number) {
    this.server = new SessionServer(this.#uniquify(initial));
    this.clients = Array.from({ length: clientCount }, (_, i) => new SimClient(this.server, `client${i}`));
  }

  run(steps: readonly Step[], options: { checkEachStep?: boolean } = {}): this {
    for (const step of steps) {
      this.step(step);
      if (options.checkEachStep !== false) this.checkInvariants();
    }
    return this;
  }

  step(step: Step): void {
    const client = this.clients[step.client % this.clients.length] as SimClient;
    switch (step.kind) {
      case 'edit':
        this.edit(client, step.primitives);
        break;
      case 'up':
        this.deliverUp(client, step.count);
        break;
      case 'down':
        this.deliverDown(client, step.count);
        break;
      case 'disconnect':
        if (!client.connected) break;
        if (step.serverGotIt) this.deliverUp(client, client.up.length);
        client.disconnect();
        break;
      case 'reconnect':
        if (!client.connected) client.reconnect(step.replayOverlap);
        break;
    }
  }

  edit(client: SimClient, primitives: readonly Primitive[]): void {
    const removed: Delta[] = [];
    const change = buildChange(client.doc.contents, primitives, {
      text: (text) => this.#freshText(text),
      embed: (embed) => this.#freshEmbed(embed),
      deleted: (slice) => removed.push(slice),
    });
    client.doc.applyLocal(change);
    for (const slice of removed) this.#collect(slice, this.deleted);
    client.flush();
  }

  deliverUp(client: SimClient, count: number): void {
    for (let i = 0; i < count && client.up.length > 0; i++)
      this.server.submit(client.up.shift() as Submission);
  }

  deliverDown(client: SimClient, count: number): void {
    for (let i = 0; i < count && client.down.length > 0; i++) {
      const result = client.doc.receive(client.down.shift() as IncomingOp);
      this.received[result.kind]++;
      if (result.kind === 'ack') client.flush();
    }
  }

  /** Reconnects everyone and delivers every message until the network is quiet. */
  settle(): this {
    for (const client of this.clients) if (!client.connected) client.reconnect(0);
    for (let round = 0; ; round++) {
      if (round > 1000) throw new Error('the network did not settle');
      let moved = false;
      for (const client of this.clients) {
        if (client.up.length > 0 || client.down.length > 0) moved = true;
        this.deliverUp(client, client.up.length);
        this.deliverDown(client, client.down.length);
      }
      if (!moved) return this;
    }
  }

  /** [C5] Every client equals the server document at its version plus its own pending edits. */
  checkInvariants(): void {
    for (const client of this.clients) {
      const { doc } = client;
      let expected = this.server.documents[doc.version] as Delta;
      if (doc.inFlight) expected = applyChange(expected, doc.inFlight.delta);
      if (doc.buffer) expected = applyChange(expected, doc.buffer);
      // Documents are canonical, so equal ones serialise equally; the string check keeps this cheap.
      if (JSON.stringify(doc.contents) !== JSON.stringify(expected)) {
        expect(doc.contents, `${doc.clientId} at version ${doc.version}`).toEqual(expected);
      }
    }
  }

  /** [C5] After `settle`: everyone converged on the server document, every edit committed once. */
  checkConverged(): void {
    const { server } = this;
    expect(validateDocument(server.document)).toBeUndefined();
    for (const client of this.clients) {
      const { doc } = client;
      expect(doc.version, doc.clientId).toBe(server.version);
      expect(doc.state, doc.clientId).toBe('synchronized');
      expect(doc.pendingCount, doc.clientId).toBe(0);
      expect(doc.contents, doc.clientId).toEqual(server.document);
      const committed = server.log.filter((op) => op.clientId === doc.clientId).map((op) => op.seq);
      expect(committed, `${doc.clientId} ops committed once each`).toEqual(
        [...client.seqs].sort((a, b) => a - b),
      );
    }
    const present = new Set<string>();
    this.#collect(server.document, present);
    const expected = [...this.inserted].filter((token) => !this.deleted.has(token));
    expect([...present].sort(), 'tokens inserted and not deleted by anyone').toEqual(expected.sort());
  }

  /**
   * Adds the tokens of `delta`'s inserts to `into`. Newlines are not tokens (a line break must stay
   * "\n"), and two clients may delete the same one concurrently, so they are not counted.
   */
  #collect(delta: Delta, into: Set<string>): void {
    for (const op of delta.ops) {
      if (typeof op.insert === 'string') {
        for (const char of op.insert) if (char !== '\n') into.add(char);
      } else if (op.insert !== undefined) {
        into.add(JSON.stringify(op.insert));
      }
    }
  }

  #freshText(text: string): string {
    let result = '';
    for (const char of text) result += char === '\n' ? char : this.#token();
    this.#collect(new Delta().insert(result), this.inserted);
    return result;
  }

  #freshEmbed(embed: Record<string, string>): Record<string, string> {
    const [key] = Object.keys(embed) as [string];
    // An https URL: an image source the allowlist accepts [A7].
    const fresh = { [key]: `https://example.com/${this.#token()}` };
    this.inserted.add(JSON.stringify(fresh));
    return fresh;
  }

  #token(): string {
    if (this.#nextToken > LAST_TOKEN) throw new Error('the simulation ran out of unique characters');
    return String.fromCharCode(this.#nextToken++);
  }

  /** The initial document with every character and embed replaced by a unique token. */
  #uniquify(doc: Delta): Delta {
    const result = new Delta();
    for (const op of doc.ops) {
      const insert =
        typeof op.insert === 'string' ? this.#freshText(op.insert) : this.#freshEmbed(op.insert as never);
      result.insert(insert, op.attributes);
    }
    return normalizeDocument(result);
  }
}
