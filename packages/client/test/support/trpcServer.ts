import { EventEmitter, on } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { CommittedOp, DeltaJson, DocumentSnapshot, Me, SubmitInput } from '@collab/protocol';
import { initTRPC, TRPCError, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { type WebSocket, WebSocketServer } from 'ws';

type Ref = { id: string; key?: string };

/** A refusal carrying a catalogue tag, as the real server answers it (`data.tag`). */
const refusal = (tag: string, message: string) =>
  new TRPCError({ code: 'BAD_REQUEST', message, cause: Object.assign(new Error(message), { tag }) });

const t = initTRPC.context<{ connectionParams: Record<string, string | undefined> | null }>().create({
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, tag: (error.cause as { tag?: string } | undefined)?.tag },
  }),
});
const input =
  <T>() =>
  (value: unknown) =>
    value as T;

/**
 * The collaboration server as a client sees it over its WebSocket: the real tRPC wire protocol, with
 * procedures that keep just enough state (documents, their ops) and record what each connection asked.
 * The test decides when `session.me` fails, when submits stay unanswered, and when sockets drop.
 */
export async function startTrpcServer() {
  const me: Me = { authorId: 'alice', kind: 'service', name: null, color: null };
  const documents = new Map<string, { version: number; delta: DeltaJson; ops: CommittedOp[] }>();
  const committed = new EventEmitter();
  const calls = {
    me: 0,
    connectionParams: [] as (Record<string, string | undefined> | null)[],
    getOrCreate: [] as Ref[],
    get: [] as Ref[],
    submits: [] as SubmitInput[],
    /** Change streams opened and, once ended, flagged. */
    changes: [] as { input: Ref & { sinceVersion: number }; ended: boolean }[],
  };
  const control = { failMe: 0, holdSubmits: false };
  const snapshot = (id: string): DocumentSnapshot => {
    const doc = documents.get(id);
    if (!doc) throw refusal('DocumentNotFound', 'No such document');
    return { id: id as DocumentSnapshot['id'], version: doc.version, delta: doc.delta };
  };

  const router = t.router({
    session: t.router({
      me: t.procedure.query(() => {
        calls.me += 1;
        if (control.failMe > 0) {
          control.failMe -= 1;
          throw refusal('Unavailable', 'busy');
        }
        return me;
      }),
    }),
    documents: t.router({
      getOrCreate: t.procedure.input(input<Ref>()).mutation(({ input }) => {
        calls.getOrCreate.push(input);
        if (!documents.has(input.id))
          documents.set(input.id, { version: 0, delta: { ops: [{ insert: '\n' }] }, ops: [] });
        return snapshot(input.id);
      }),
      get: t.procedure.input(input<Ref>()).query(({ input }) => {
        calls.get.push(input);
        return snapshot(input.id);
      }),
      submit: t.procedure.input(input<SubmitInput>()).mutation(async ({ input }) => {
        calls.submits.push(input);
        if (control.holdSubmits) return new Promise<never>(() => {});
        const doc = documents.get(input.id);
        if (!doc) throw refusal('DocumentNotFound', 'No such document');
        // Enough for these tests: ops are made on the latest version, so they apply as they are.
        doc.version += 1;
        const op: CommittedOp = {
          version: doc.version,
          delta: input.delta,
          clientId: input.clientId,
          seq: input.seq,
        };
        doc.ops.push(op);
        committed.emit(input.id, op);
        return { version: doc.version };
      }),
      changes: t.procedure.input(input<Ref & { sinceVersion: number }>()).subscription(async function* ({
        input,
        signal,
      }) {
        const stream = { input, ended: false };
        calls.changes.push(stream);
        try {
          for await (const [op] of on(committed, input.id, { signal })) {
            yield tracked(String((op as CommittedOp).version), { ops: [op as CommittedOp] });
          }
        } catch (error) {
          if (!signal?.aborted) throw error;
        } finally {
          stream.ended = true;
        }
      }),
    }),
    presence: t.router({
      stream: t.procedure.input(input<Ref>()).subscription(async function* ({ signal }) {
        try {
          for await (const _ of on(new EventEmitter(), 'never', { signal })) yield { events: [] };
        } catch (error) {
          if (!signal?.aborted) throw error;
        }
      }),
      update: t.procedure.input(input<unknown>()).mutation(() => undefined),
    }),
  });

  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  applyWSSHandler({
    wss,
    router,
    createContext: ({ info }) => {
      calls.connectionParams.push(info.connectionParams);
      return { connectionParams: info.connectionParams };
    },
  });
  const sockets = () => [...wss.clients] as WebSocket[];

  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    calls,
    control,
    /** A remote person's op on a document, delivered to every change stream following it. */
    commitRemote(id: string, delta: DeltaJson) {
      const doc = documents.get(id);
      if (!doc) throw new Error(`no document ${id}`);
      doc.version += 1;
      const op: CommittedOp = { version: doc.version, delta, clientId: 'bob.1', seq: doc.version };
      doc.ops.push(op);
      committed.emit(id, op);
    },
    /** How many client sockets are connected now. */
    connections: () => sockets().length,
    /** Closes every client socket from the server side, with this close code. */
    dropConnections(code = 1001) {
      for (const socket of sockets()) socket.close(code);
    },
    /** Every client socket stops being read: pings go unanswered, as on a network that silently died. */
    silence() {
      for (const socket of sockets()) socket.removeAllListeners('message');
    },
    async stop() {
      for (const socket of sockets()) socket.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}
