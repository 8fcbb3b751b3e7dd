import type { Me } from '@collab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSession, httpApiAs } from '../support/principals.js';
import { type ServerProcess, startServer } from '../support/server.js';
import { startStorage, storageKinds, type TestStorage } from '../support/storage.js';
import { failureOf, httpApi } from '../support/trpc.js';

type Api = ReturnType<typeof httpApiAs>;

interface Person {
  readonly me: Me;
  readonly api: Api;
}

let counter = 0;
const newId = (name: string) => `home-${name}-${Date.now().toString(36)}-${++counter}`;

describe.each(storageKinds)('documents home [H3] on %s', (kind) => {
  let storage: TestStorage;
  let server: ServerProcess;
  let owner: Person;
  let other: Person;

  const person = async (): Promise<Person> => {
    const { cookie, me } = await browserSession(server.httpUrl);
    const api = httpApiAs(server.httpUrl, { cookie });
    return { me, api };
  };

  /** Types `text` at the start of the document as `who`. */
  const type = async (who: Person, id: string, text: string) => {
    const { version } = await who.api.documents.get.query({ id });
    await who.api.documents.submit.mutate({
      id,
      clientId: `${who.me.authorId}.t`,
      seq: ++counter,
      baseVersion: version,
      delta: { ops: [{ insert: text }] },
    });
  };

  const listed = async (who: Person, input: { search?: string; trash?: boolean } = {}) =>
    (await who.api.home.list.query(input)).documents;

  beforeAll(async () => {
    storage = await startStorage(kind);
    server = await startServer({ env: { ...storage.env('home'), DEFAULT_GENERAL_ACCESS: 'restricted' } });
    owner = await person();
    other = await person();
    await owner.api.session.setProfile.mutate({ name: 'Olive Owner', color: '#1a73e8' });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await storage?.stop();
  });

  it('[H3] the home lists what the caller created, most recently edited first, with the first line as title and the last editor', async () => {
    const first = newId('first');
    const second = newId('second');
    await owner.api.documents.create.mutate({
      id: first,
      delta: { ops: [{ insert: 'Quarterly plan\nbody\n' }] },
    });
    await owner.api.documents.create.mutate({ id: second, delta: { ops: [{ insert: 'Shopping list\n' }] } });
    await type(owner, first, 'Revised ');

    await expect
      .poll(
        async () =>
          (await listed(owner)).filter((doc) => doc.id === first || doc.id === second).map((d) => d.id),
        { timeout: 15_000 },
      )
      .toEqual([first, second]);
    const [top] = await listed(owner);
    expect(top).toMatchObject({
      id: first,
      title: 'Revised Quarterly plan',
      titleSet: false,
      owned: true,
      lastEditor: 'Olive Owner',
      trashedAt: null,
    });
    expect((await listed(other)).map((doc) => doc.id)).not.toContain(first);
  });

  it('[H3] search finds documents by title, whatever the case', async () => {
    const id = newId('search');
    await owner.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Zebra crossing notes\n' }] } });
    expect((await listed(owner, { search: 'zebra CROSS' })).map((doc) => doc.id)).toEqual([id]);
    expect(await listed(owner, { search: 'no such title anywhere' })).toEqual([]);
  });

  it('[H3] a document shared by link joins the home of whoever opens it, as not owned', async () => {
    const id = newId('shared');
    await owner.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Shared plan\n' }] } });
    const info = await owner.api.access.rotateLink.mutate({ id, role: 'editor' });
    const key = info.links?.editor ?? '';
    expect((await failureOf(other.api.home.open.mutate({ id }))).tag).toBe('DocumentNotFound');

    const opened = await other.api.home.open.mutate({ id, key });
    expect(opened).toMatchObject({ id, title: 'Shared plan', role: 'editor', owned: false });
    expect((await listed(other)).find((doc) => doc.id === id)).toMatchObject({ owned: false });
  });

  it('[H3] editors rename, a viewer cannot, and an empty title goes back to the first line', async () => {
    const id = newId('rename');
    await owner.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Draft\n' }] } });
    const links = await owner.api.access.rotateLink.mutate({ id, role: 'viewer' });
    const viewerKey = links.links?.viewer ?? '';
    const editorKey = (await owner.api.access.rotateLink.mutate({ id, role: 'editor' })).links?.editor ?? '';

    const renamed = await other.api.home.rename.mutate({ id, key: editorKey, title: '  Launch checklist ' });
    expect(renamed).toMatchObject({ title: 'Launch checklist', titleSet: true });
    expect((await listed(owner)).find((doc) => doc.id === id)?.title).toBe('Launch checklist');

    const refused = await failureOf(other.api.home.rename.mutate({ id, key: viewerKey, title: 'Mine now' }));
    expect(refused.tag).toBe('Forbidden');
    expect((await owner.api.home.open.mutate({ id })).title).toBe('Launch checklist');

    await owner.api.home.rename.mutate({ id, title: '' });
    expect(await owner.api.home.open.mutate({ id })).toMatchObject({ title: 'Draft', titleSet: false });
    expect((await failureOf(owner.api.home.rename.mutate({ id, title: 'x'.repeat(201) }))).tag).toBe(
      'InvalidInput',
    );
  });

  it('[H3] only the owner trashes; a trashed document is gone for everyone until the owner restores it', async () => {
    const id = newId('trash');
    await owner.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Old notes\n' }] } });
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    await other.api.home.open.mutate({ id });

    expect((await failureOf(other.api.home.trash.mutate({ id }))).tag).toBe('Forbidden');
    await owner.api.home.trash.mutate({ id });

    expect((await listed(owner)).map((doc) => doc.id)).not.toContain(id);
    expect((await listed(other)).map((doc) => doc.id)).not.toContain(id);
    expect((await listed(owner, { trash: true })).map((doc) => doc.id)).toContain(id);
    expect((await listed(other, { trash: true })).map((doc) => doc.id)).not.toContain(id);
    expect((await failureOf(other.api.documents.get.query({ id }))).tag).toBe('DocumentNotFound');
    expect((await failureOf(owner.api.documents.get.query({ id }))).tag).toBe('DocumentNotFound');
    expect((await failureOf(other.api.home.restore.mutate({ id }))).tag).toBe('DocumentNotFound');

    await owner.api.home.restore.mutate({ id });
    expect((await listed(owner, { trash: true })).map((doc) => doc.id)).not.toContain(id);
    expect((await listed(owner)).map((doc) => doc.id)).toContain(id);
    expect((await other.api.documents.get.query({ id })).delta).toEqual({ ops: [{ insert: 'Old notes\n' }] });
  });

  it('[H3] delete forever removes a trashed document for good', async () => {
    const id = newId('forever');
    await owner.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Secret\n' }] } });
    expect((await failureOf(owner.api.home.deleteForever.mutate({ id }))).tag).toBe('DocumentNotFound');
    await owner.api.home.trash.mutate({ id });
    await owner.api.home.deleteForever.mutate({ id });

    expect((await listed(owner, { trash: true })).map((doc) => doc.id)).not.toContain(id);
    expect((await listed(owner)).map((doc) => doc.id)).not.toContain(id);
    expect((await failureOf(owner.api.documents.get.query({ id }))).tag).toBe('DocumentNotFound');
    expect((await failureOf(owner.api.home.restore.mutate({ id }))).tag).toBe('DocumentNotFound');
  });

  it('[H3] opening an id that does not exist is not found and creates nothing', async () => {
    const id = newId('missing');
    expect((await failureOf(owner.api.home.open.mutate({ id }))).tag).toBe('DocumentNotFound');
    expect((await failureOf(owner.api.documents.get.query({ id }))).tag).toBe('DocumentNotFound');
    expect((await listed(owner)).map((doc) => doc.id)).not.toContain(id);
  });

  it('[H3] a caller without a session has no home', async () => {
    expect((await failureOf(httpApi(server.httpUrl).home.list.query({}))).tag).toBe('Forbidden');
  });
});
