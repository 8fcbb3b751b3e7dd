import type { CommittedOp, PresenceEvent } from '@collab/protocol';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import * as Layer from 'effect/Layer';

/** What another instance tells this one about a document. */
export interface BroadcastHandlers {
  /** An op committed (durably) by another instance. Order and completeness are not guaranteed [S4]. */
  onOp(op: CommittedOp): void;
  /**
   * A presence change made on another instance; `source` names that instance, so a departure it announces
   * only removes what it set. `expiresAt` is in this instance's clock.
   */
  onPresence(event: PresenceEvent, expiresAt: number, source: string): void;
  /**
   * Messages may have been lost (the channel was down and is back, an op too large to send arrived, or the
   * periodic check is due), so catch up from storage.
   */
  onResync(): void;
  /** Another instance started listening to the document and asks for the current presence. */
  onSyncRequest?(): void;
}

/**
 * Fan-out of committed ops and presence between server instances [S4]. Only a hint: order and durability
 * come from storage, so a lost or late message costs a storage read, never correctness.
 */
export class Broadcast extends Context.Service<
  Broadcast,
  {
    /** Publishes an op after it is durable. Never fails: a lost publish is healed by gap filling. */
    publishOp(docId: string, op: CommittedOp): Effect.Effect<void>;
    publishPresence(docId: string, event: PresenceEvent, expiresAt: number): Effect.Effect<void>;
    /** Listens to other instances for one document; the returned function stops listening. */
    subscribe(docId: string, handlers: BroadcastHandlers): Effect.Effect<() => void>;
    /** Whether the channel to other instances is up; absent when there are no other instances. */
    readonly isConnected?: () => boolean;
  }
>()('collab/broadcast/Broadcast') {
  /** A single instance: nobody else to tell. */
  static readonly single = Layer.succeed(
    Broadcast,
    Broadcast.of({
      publishOp: () => Effect.void,
      publishPresence: () => Effect.void,
      subscribe: () => Effect.succeed(() => {}),
    }),
  );
}
