import { Delta } from '@collab/ot';
import {
  ClientId,
  DocumentId,
  type Limits,
  type PresenceEvent,
  type PresenceUpdateInput,
} from '@collab/protocol';
import { Clock, Effect, Layer, ManagedRuntime } from 'effect';
import { TestClock } from 'effect/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broadcast, type BroadcastHandlers } from '../../src/broadcast/Broadcast.js';
import { type AppConfig, Config } from '../../src/config.js';
import { PresenceHub } from '../../src/presence/PresenceHub.js';
import { DocumentSession } from '../../src/sessions/DocumentSession.js';
import type { DocumentStore } from '../../src/storage/DocumentStore.js';
import { strictFake } from '../support/strictFake.js';

const ttlMs = 10_000;
/** The hub checks for expired entries every quarter of the TTL. */
const sweepMs = ttlMs / 4;

const user = { name: 'Ada', color: '#112233' };

function setup() {
  const published: { docId: string; event: PresenceEvent }[] = [];
  const remote: BroadcastHandlers[] = [];
  const broadcast = strictFake<Broadcast['Service']>('Broadcast', {
    publishPresence: (docId, event) => Effect.sync(() => void published.push({ docId, event })),
    subscribe: (_docId, handlers) =>
      Effect.sync(() => {
        remote.push(handlers);
        return () => {};
      }),
  });
  const config = strictFake<AppConfig>('Config', { presenceTtlMs: ttlMs });
  // The hub's expiry sweep and its timestamps run on a test clock, advanced by the tests.
  const runtime = ManagedRuntime.make(
    PresenceHub.layer.pipe(
      Layer.provide(Layer.mergeAll(Layer.succeed(Config, config), Layer.succeed(Broadcast, broadcast))),
      Layer.provideMerge(TestClock.layer()),
    ),
  );
  const store = strictFake<DocumentStore['Service']>('DocumentStore', { appendOp: () => Effect.void });
  const session = new DocumentSession(
    {
      store,
      settings: {
        recentOpsWindow: 100,
        snapshotEveryOps: 1_000_000,
        snapshotIntervalMs: 3_600_000,
        maxRebaseSteps: 50_000,
        historySnapshotEveryOps: 500,
        limits: strictFake<Limits>('Limits', { maxDocumentBytes: 1_000_000 }),
      },
      publish: () => {},
      fork: (effect) => runtime.runFork(effect),
    },
    { docId: 'doc', version: 0, ops: [{ insert: 'hello world\n' }], updatedAt: 0 },
    [],
  );
  return { runtime, session, published, remote };
}

let env: ReturnType<typeof setup>;
let hub: PresenceHub['Service'];
beforeEach(async () => {
  env = setup();
  hub = await env.runtime.runPromise(
    Effect.gen(function* () {
      return yield* PresenceHub;
    }),
  );
});
afterEach(async () => {
  env.session.dispose();
  await env.runtime.dispose();
});

const advance = (ms: number) => env.runtime.runPromise(TestClock.adjust(ms));
const now = () => env.runtime.runSync(Clock.currentTimeMillis);

const update = (
  { clientId, ...input }: Partial<Omit<PresenceUpdateInput, 'clientId'>> & { clientId: string },
  connectionId = 'conn-1',
) =>
  env.runtime.runPromise(
    hub.update(
      env.session,
      {
        id: DocumentId.parse('doc'),
        clientId: ClientId.parse(clientId),
        user,
        range: null,
        version: env.session.version,
        ...input,
      },
      connectionId,
    ),
  );

const insertAt = (index: number, text: string, clientId: string, seq: number) =>
  Effect.runPromise(
    env.session.submit({
      clientId,
      seq,
      baseVersion: env.session.version,
      delta: new Delta().retain(index).insert(text),
    }),
  );

/** What a newcomer sees: everyone present, with their ranges at the head version. */
function present(): Record<string, { index: number; length: number } | null> {
  const seen: Record<string, { index: number; length: number } | null> = {};
  const stop = hub.listen(env.session, (event) => {
    if (event.type === 'update') seen[event.entry.clientId] = event.entry.range;
  });
  stop();
  return seen;
}

describe('[C6] PresenceHub', () => {
  it('[C6] cursors move through ops committed after they were set: before them shifts, after them stays', async () => {
    await update({ clientId: 'ada', range: { index: 6, length: 5 } });
    await update({ clientId: 'bob', range: { index: 2, length: 0 } });
    await insertAt(0, '>> ', 'carol', 0);
    expect(present()).toEqual({ ada: { index: 9, length: 5 }, bob: { index: 5, length: 0 } });
    await insertAt(9, 'big ', 'carol', 1);
    // Someone else's insert at the selection's start lands inside it: the start stays, the selection grows.
    expect(present()).toEqual({ ada: { index: 9, length: 9 }, bob: { index: 5, length: 0 } });
  });

  it("[C6] an author's own insert at the caret pushes it along; another's leaves it", async () => {
    await update({ clientId: 'ada', range: { index: 5, length: 0 } });
    await update({ clientId: 'bob', range: { index: 5, length: 0 } });
    await insertAt(5, '!', 'ada', 0);
    expect(present()).toEqual({ ada: { index: 6, length: 0 }, bob: { index: 5, length: 0 } });
  });

  it('[C6] a range set on an older version is moved to the head before anyone sees it', async () => {
    await insertAt(0, 'abc', 'carol', 0);
    await insertAt(0, 'de', 'carol', 1);
    await update({ clientId: 'ada', range: { index: 4, length: 1 }, version: 0 });
    const seen = present();
    expect(seen.ada).toEqual({ index: 9, length: 1 });
  });

  it('[C6] an update reaches listeners at once and is told to other instances', async () => {
    const events: PresenceEvent[] = [];
    const stop = hub.listen(env.session, (event) => events.push(event));
    await update({ clientId: 'ada', range: { index: 1, length: 0 } });
    stop();
    expect(events).toEqual([
      { type: 'update', entry: { clientId: 'ada', user, range: { index: 1, length: 0 }, version: 0 } },
    ]);
    expect(env.published.map((p) => p.event.type)).toEqual(['update']);
  });

  it('[C6] presence not refreshed within the TTL expires; refreshed presence stays', async () => {
    const events: PresenceEvent[] = [];
    const stop = hub.listen(env.session, (event) => events.push(event));
    await update({ clientId: 'ada', range: { index: 1, length: 0 } });
    await update({ clientId: 'bob', range: { index: 2, length: 0 } });
    await advance(ttlMs - sweepMs);
    await update({ clientId: 'bob', range: { index: 3, length: 0 } });
    await advance(2 * sweepMs);
    expect(events.filter((e) => e.type === 'leave')).toEqual([{ type: 'leave', clientId: 'ada' }]);
    expect(Object.keys(present())).toEqual(['bob']);
    await advance(ttlMs);
    expect(Object.keys(present())).toEqual([]);
    stop();
  });

  it('[C6] leave removes the client, tells listeners and other instances', async () => {
    const events: PresenceEvent[] = [];
    const stop = hub.listen(env.session, (event) => events.push(event));
    await update({ clientId: 'ada' });
    hub.leave('doc', 'ada', 'conn-1');
    hub.leave('doc', 'ada', 'conn-1');
    stop();
    expect(events.map((e) => e.type)).toEqual(['update', 'leave']);
    expect(env.published.map((p) => p.event)).toEqual([
      { type: 'update', entry: { clientId: 'ada', user, range: null, version: 0 } },
      { type: 'leave', clientId: 'ada' },
    ]);
  });

  it('[C6] a closed connection takes only its own entries with it', async () => {
    await update({ clientId: 'ada' }, 'conn-1');
    await update({ clientId: 'ada-2nd-tab' }, 'conn-1');
    await update({ clientId: 'bob' }, 'conn-2');
    hub.dropConnection('conn-1');
    expect(Object.keys(present())).toEqual(['bob']);
  });

  it('[C6] [S4] presence from another instance shows here; only the instance that set it can take it away', async () => {
    await update({ clientId: 'ada' });
    const [handlers] = env.remote;
    if (!handlers) throw new Error('the hub did not listen to other instances');
    const entry = { clientId: 'zoe', user, range: { index: 0, length: 0 }, version: 0 };
    handlers.onPresence({ type: 'update', entry }, now() + ttlMs, 'instance-b');
    expect(Object.keys(present()).sort()).toEqual(['ada', 'zoe']);
    handlers.onPresence({ type: 'leave', clientId: 'zoe' }, 0, 'instance-c');
    expect(Object.keys(present()).sort()).toEqual(['ada', 'zoe']);
    // An entry set on this instance is this instance's to manage.
    handlers.onPresence({ type: 'leave', clientId: 'ada' }, 0, 'instance-b');
    handlers.onPresence({ type: 'leave', clientId: 'zoe' }, 0, 'instance-b');
    expect(Object.keys(present())).toEqual(['ada']);
  });
});
