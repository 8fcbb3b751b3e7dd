/**
 * What the collaboration client reports about one open document. Mirrors `DocumentStatus` of
 * `@collab/client`, restated here so this module stays plain and testable on its own.
 */
export interface SyncStatus {
  readonly connection: 'connecting' | 'online' | 'offline';
  /** Local edits the server has not acknowledged yet. */
  readonly pendingEdits: number;
  /** Whether this session has been connected at least once (so a new attempt is a reconnect). */
  readonly everConnected: boolean;
}

export type StatusTone = 'connecting' | 'saved' | 'saving' | 'offline' | 'reconnecting';

export interface StatusView {
  readonly tone: StatusTone;
  /** The short line shown next to the title. */
  readonly text: string;
  /** A longer explanation, for the tooltip and screen readers. */
  readonly detail: string;
}

export function editsCount(count: number): string {
  return `${count} ${count === 1 ? 'edit' : 'edits'}`;
}

/**
 * The status line for a document. `browserOnline` is `navigator.onLine`: when the browser knows it
 * has no network, "Offline" is more honest than "Reconnecting…". Whenever the connection is down
 * with edits waiting, the line says how many, so nobody wonders whether their typing was kept [C4].
 */
export function describeStatus(status: SyncStatus, browserOnline = true): StatusView {
  const pending = Math.max(0, Math.floor(status.pendingEdits));

  // [C10] the browser knows at once when its network is gone; the socket only notices at its next heartbeat.
  if (status.connection === 'online' && browserOnline) {
    if (pending > 0) return { tone: 'saving', text: 'Saving…', detail: `Saving ${editsCount(pending)}.` };
    return { tone: 'saved', text: 'Saved', detail: 'All changes saved.' };
  }
  if (pending > 0) {
    return {
      tone: 'offline',
      text: `Offline — ${editsCount(pending)} will sync`,
      detail: `Not connected. Keep typing: ${editsCount(pending)} will sync when the connection is back.`,
    };
  }
  if (!browserOnline) {
    return {
      tone: 'offline',
      text: 'Offline',
      detail: 'This device is offline. You can keep typing; your edits will sync when it is back online.',
    };
  }
  if (!status.everConnected) {
    return { tone: 'connecting', text: 'Connecting…', detail: 'Connecting to the server.' };
  }
  return {
    tone: 'reconnecting',
    text: 'Reconnecting…',
    detail: 'The connection to the server was lost; trying again. You can keep typing.',
  };
}
