import { describe, expect, it } from 'vitest';
import { type Collaborator, type DrawnCursor, peopleHere, planCursors } from './presence';

const me = { name: 'Ada Lovelace', color: '#1a73e8' };
const grace: Collaborator = {
  clientId: 'g1',
  user: { name: 'Grace', color: '#d93025' },
  range: { index: 3, length: 0 },
};
const alan: Collaborator = { clientId: 'a1', user: { name: 'Alan', color: '#188038' }, range: null };

describe('peopleHere', () => {
  it('lists you first, then others by name', () => {
    const people = peopleHere(me, [grace, alan]);
    expect(people.map((p) => [p.name, p.isSelf, p.initials])).toEqual([
      ['Ada Lovelace', true, 'AL'],
      ['Alan', false, 'A'],
      ['Grace', false, 'G'],
    ]);
  });

  it('folds several tabs of one person into one avatar', () => {
    const people = peopleHere(me, [grace, { ...grace, clientId: 'g2' }]);
    expect(people).toHaveLength(2);
    expect(people[1]).toMatchObject({ name: 'Grace', connections: 2 });
  });

  it('folds your own other tabs into you', () => {
    const people = peopleHere(me, [{ clientId: 'me2', user: { ...me }, range: null }]);
    expect(people).toEqual([expect.objectContaining({ isSelf: true, connections: 2 })]);
  });

  it('keeps two people who share a name but not a colour apart', () => {
    expect(
      peopleHere(undefined, [grace, { ...grace, clientId: 'g2', user: { name: 'Grace', color: '#000000' } }]),
    ).toHaveLength(2);
  });

  it('is empty when nobody is known', () => {
    expect(peopleHere(undefined, [])).toEqual([]);
  });
});

describe('planCursors', () => {
  const drawnGrace = new Map<string, DrawnCursor>([['g1', { name: 'Grace', color: '#d93025' }]]);

  it('[C6] removes the cursors of people who left and draws newcomers', () => {
    const drawn = new Map<string, DrawnCursor>([...drawnGrace, ['gone', { name: 'Old', color: '#000000' }]]);
    const newcomer: Collaborator = { ...alan, clientId: 'a2', range: { index: 0, length: 4 } };
    const plan = planCursors(drawn, [grace, newcomer]);
    expect(plan.remove).toEqual(['gone']);
    expect(plan.show).toEqual([
      { clientId: 'g1', name: 'Grace', color: '#d93025', range: { index: 3, length: 0 }, create: false },
      { clientId: 'a2', name: 'Alan', color: '#188038', range: { index: 0, length: 4 }, create: true },
    ]);
  });

  it('takes away the cursor of someone who has no selection any more', () => {
    const plan = planCursors(drawnGrace, [{ ...grace, range: null }]);
    expect(plan).toEqual({ remove: ['g1'], show: [] });
  });

  it('does not draw people without a selection', () => {
    expect(planCursors(new Map(), [alan])).toEqual({ remove: [], show: [] });
  });

  it('redraws a cursor whose name or colour changed', () => {
    const renamed: Collaborator = { ...grace, user: { name: 'Grace H', color: '#d93025' } };
    const plan = planCursors(drawnGrace, [renamed]);
    expect(plan.remove).toEqual(['g1']);
    expect(plan.show[0]).toMatchObject({ clientId: 'g1', name: 'Grace H', create: true });
  });

  it('removes everything when everyone left', () => {
    expect(planCursors(drawnGrace, [])).toEqual({ remove: ['g1'], show: [] });
  });
});
