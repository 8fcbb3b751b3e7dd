import { type Identity, initials } from './identity';

/** A collaborator as the client reports them (mirrors `RemotePresence` of `@collab/client`). */
export interface Collaborator {
  readonly clientId: string;
  readonly user: { readonly name: string; readonly color: string };
  readonly range: { readonly index: number; readonly length: number } | null;
}

/** One avatar in the "who is here" list. */
export interface Person {
  readonly key: string;
  readonly name: string;
  readonly color: string;
  readonly initials: string;
  readonly isSelf: boolean;
  /** Connections this person has open (tabs, windows). */
  readonly connections: number;
}

const personKey = (user: { name: string; color: string }) => `${user.name}\u0000${user.color.toLowerCase()}`;

/**
 * Who is here: you first, then everyone else by name. A name and colour open in several tabs
 * (the identity is remembered per browser) is one person, and your own other tabs fold into you.
 */
export function peopleHere(self: Identity | undefined, others: readonly Collaborator[]): Person[] {
  const selfKey = self ? personKey(self) : undefined;
  const people = new Map<string, Person>();
  if (self && selfKey) {
    people.set(selfKey, {
      key: 'self',
      ...self,
      initials: initials(self.name),
      isSelf: true,
      connections: 1,
    });
  }
  for (const other of others) {
    const key = personKey(other.user);
    const known = people.get(key);
    if (known) {
      people.set(key, { ...known, connections: known.connections + 1 });
      continue;
    }
    people.set(key, {
      key: other.clientId,
      name: other.user.name,
      color: other.user.color,
      initials: initials(other.user.name),
      isSelf: false,
      connections: 1,
    });
  }
  return [...people.values()].sort((a, b) => {
    if (a.isSelf !== b.isSelf) return a.isSelf ? -1 : 1;
    return a.name.localeCompare(b.name) || a.key.localeCompare(b.key);
  });
}

/** How a cursor was drawn, to tell whether it must be redrawn. */
export interface DrawnCursor {
  readonly name: string;
  readonly color: string;
}

export interface CursorPlan {
  /** Cursors to take away: people who left, or who have no selection any more. */
  readonly remove: string[];
  /** Cursors to draw and move; `create` when not drawn yet or drawn with another name or colour. */
  readonly show: Array<{ clientId: string; name: string; color: string; range: Range; create: boolean }>;
}

interface Range {
  readonly index: number;
  readonly length: number;
}

/** What to change on the editor's remote cursors to match the latest presence [C6]. */
export function planCursors(
  drawn: ReadonlyMap<string, DrawnCursor>,
  others: readonly Collaborator[],
): CursorPlan {
  const visible = new Map<string, Collaborator & { range: Range }>();
  for (const other of others) if (other.range) visible.set(other.clientId, { ...other, range: other.range });
  const remove: string[] = [];
  for (const [id, cursor] of drawn) {
    const next = visible.get(id);
    if (!next || next.user.name !== cursor.name || next.user.color !== cursor.color) remove.push(id);
  }
  const show = [...visible.values()].map((other) => {
    const before = drawn.get(other.clientId);
    const create =
      before === undefined || before.name !== other.user.name || before.color !== other.user.color;
    return {
      clientId: other.clientId,
      name: other.user.name,
      color: other.user.color,
      range: other.range,
      create,
    };
  });
  return { remove, show };
}
