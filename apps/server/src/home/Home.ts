import type { HomeDocument, HomeList, HomeListInput, OpenedDocument, Role } from '@collab/protocol';
import * as Clock from 'effect/Clock';
import * as Context from 'effect/Context';
import * as Effect from 'effect/Effect';
import * as FiberSet from 'effect/FiberSet';
import * as Layer from 'effect/Layer';
import { AccessControl } from '../access/AccessControl.js';
import type { Principal } from '../access/principal.js';
import { Forbidden, notFound } from '../domain/errors.js';
import { log } from '../log.js';
import { DocumentSessions } from '../sessions/DocumentSessions.js';
import { DocumentStore, type StorageFailure } from '../storage/DocumentStore.js';
import type { DocumentEntry } from '../storage/HomeRecords.js';
import { firstLineOf } from './firstLine.js';

/** Edits to one document within this long are recorded once, as the last of them [H3]. */
const editRecordDelayMs = 2_000;
const defaultListLimit = 100;

type Denied = Forbidden | ReturnType<typeof notFound>;

const homeless = new Forbidden({ message: 'The documents home needs a session, a token or an API key' });

function view(entry: DocumentEntry, principal: Principal): HomeDocument {
  return {
    id: entry.docId as HomeDocument['id'],
    title: entry.title ?? entry.firstLine,
    titleSet: entry.title !== null,
    owned: entry.ownerId !== null && entry.ownerId === principal.authorId,
    lastEditAt: entry.lastEditAt,
    lastEditor: entry.lastEditorName,
    trashedAt: entry.trashedAt,
  };
}

/**
 * The documents home [H3]: each principal's documents (created or opened), their titles, who edited them
 * last and when, and the trash. Access to a document is decided by `AccessControl`, which also treats a
 * trashed document as absent for everyone.
 */
export class Home extends Context.Service<
  Home,
  {
    list(principal: Principal, input: HomeListInput): Effect.Effect<HomeList, Forbidden | StorageFailure>;
    /** The caller opened the document: it joins their home. Fails like any read without access. */
    open(
      principal: Principal,
      docId: string,
      key: string | undefined,
    ): Effect.Effect<OpenedDocument, Denied | StorageFailure>;
    /** A document was created by `principal` with these contents. */
    created(principal: Principal, docId: string, firstLine: string): Effect.Effect<void, StorageFailure>;
    /** An edit by `principal` was committed; recorded shortly after, once for a burst of edits. */
    edited(principal: Principal, docId: string): void;
    rename(
      principal: Principal,
      docId: string,
      key: string | undefined,
      title: string,
    ): Effect.Effect<OpenedDocument, Denied | StorageFailure>;
    trash(principal: Principal, docId: string): Effect.Effect<void, Denied | StorageFailure>;
    restore(principal: Principal, docId: string): Effect.Effect<void, Denied | StorageFailure>;
    /** Deletes a trashed document's contents for good; its id stays taken. */
    deleteForever(principal: Principal, docId: string): Effect.Effect<void, Denied | StorageFailure>;
  }
>()('collab/home/Home') {
  static readonly layer = Layer.effect(
    Home,
    Effect.gen(function* () {
      const store = yield* DocumentStore;
      const access = yield* AccessControl;
      const sessions = yield* DocumentSessions;
      const pendingEdits = new Map<string, { at: number; name: string | null }>();
      const clock = yield* Clock.Clock;
      // Delayed edit records run as fibers of this layer's scope: they end when the app shuts down.
      const fork = yield* FiberSet.makeRuntime();

      const recordEdit = (docId: string) =>
        Effect.gen(function* () {
          const edit = pendingEdits.get(docId);
          pendingEdits.delete(docId);
          if (!edit) return;
          const { delta } = yield* sessions.get(docId);
          yield* store.updateEntry(docId, {
            firstLine: firstLineOf(delta.ops),
            lastEditAt: edit.at,
            lastEditorName: edit.name,
          });
        }).pipe(
          Effect.catch((error) => Effect.sync(() => log.warn('could not record an edit', { docId, error }))),
        );

      /** The entry of a document the caller may open; one is made for a document older than the home. */
      const entryOf = (docId: string) =>
        Effect.gen(function* () {
          const found = yield* store.loadEntry(docId);
          if (found) return found;
          const { delta } = yield* sessions.get(docId);
          const record = yield* store.loadAccess(docId);
          const now = yield* Clock.currentTimeMillis;
          const entry: DocumentEntry = {
            docId,
            ownerId: record?.ownerId ?? null,
            title: null,
            firstLine: firstLineOf(delta.ops),
            createdAt: now,
            lastEditAt: now,
            lastEditorName: null,
            trashedAt: null,
            deletedAt: null,
          };
          yield* store.createEntry(entry);
          return (yield* store.loadEntry(docId)) ?? entry;
        });

      const opened = (principal: Principal, entry: DocumentEntry, role: Role): OpenedDocument => ({
        ...view(entry, principal),
        role,
      });

      /** The entry of a trashed document the principal owns; anyone else finds no such document. */
      const trashedByOwner = (principal: Principal, docId: string) =>
        Effect.gen(function* () {
          const record = yield* store.loadAccess(docId);
          const entry = yield* store.loadEntry(docId);
          const isOwner =
            principal.kind !== 'anonymous' && record !== undefined && record.ownerId === principal.authorId;
          if (!isOwner || !entry || entry.trashedAt === null || entry.deletedAt !== null) {
            return yield* Effect.fail(notFound(docId));
          }
          return entry;
        });

      return Home.of({
        list: (principal, input) =>
          Effect.gen(function* () {
            if (principal.kind === 'anonymous') return yield* Effect.fail(homeless);
            const entries = yield* store.listEntries(principal.authorId);
            const search = input.search?.toLocaleLowerCase();
            const documents = entries
              .filter((entry) => entry.deletedAt === null)
              .map((entry) => view(entry, principal))
              .filter((doc) => (input.trash ? doc.trashedAt !== null && doc.owned : doc.trashedAt === null))
              .filter((doc) => !search || doc.title.toLocaleLowerCase().includes(search))
              .sort((a, b) =>
                input.trash ? (b.trashedAt ?? 0) - (a.trashedAt ?? 0) : b.lastEditAt - a.lastEditAt,
              );
            return {
              documents: documents.slice(0, input.limit ?? defaultListLimit),
              total: documents.length,
            };
          }),
        open: (principal, docId, key) =>
          Effect.gen(function* () {
            const role = yield* access.require(principal, docId, key, 'viewer');
            const entry = yield* entryOf(docId);
            if (principal.kind !== 'anonymous')
              yield* store.recordVisit(principal.authorId, docId, yield* Clock.currentTimeMillis);
            return opened(principal, entry, role);
          }),
        created: (principal, docId, firstLine) =>
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis;
            const record = yield* store.loadAccess(docId);
            yield* store.createEntry({
              docId,
              ownerId: record?.ownerId ?? null,
              title: null,
              firstLine,
              createdAt: now,
              lastEditAt: now,
              lastEditorName: principal.name,
              trashedAt: null,
              deletedAt: null,
            });
            if (principal.kind !== 'anonymous') yield* store.recordVisit(principal.authorId, docId, now);
          }),
        edited: (principal, docId) => {
          const scheduled = pendingEdits.has(docId);
          pendingEdits.set(docId, { at: clock.currentTimeMillisUnsafe(), name: principal.name });
          if (scheduled) return;
          fork(Effect.sleep(editRecordDelayMs).pipe(Effect.andThen(recordEdit(docId))));
        },
        rename: (principal, docId, key, title) =>
          Effect.gen(function* () {
            const role = yield* access.require(principal, docId, key, 'editor');
            const entry = yield* entryOf(docId);
            const next = title === '' ? null : title;
            yield* store.updateEntry(docId, { title: next });
            return opened(principal, { ...entry, title: next }, role);
          }),
        trash: (principal, docId) =>
          Effect.gen(function* () {
            const role = yield* access.require(principal, docId, undefined, 'viewer');
            if (role !== 'owner') {
              return yield* Effect.fail(
                new Forbidden({ message: 'Only the owner can move a document to the trash' }),
              );
            }
            yield* entryOf(docId);
            yield* store.updateEntry(docId, { trashedAt: yield* Clock.currentTimeMillis });
            access.forget(docId);
          }),
        restore: (principal, docId) =>
          trashedByOwner(principal, docId).pipe(
            Effect.andThen(store.updateEntry(docId, { trashedAt: null })),
            Effect.andThen(Effect.sync(() => access.forget(docId))),
          ),
        deleteForever: (principal, docId) =>
          trashedByOwner(principal, docId).pipe(
            // Marked first: should removing the contents fail half-way, the document stays gone.
            Effect.andThen(Clock.currentTimeMillis),
            Effect.flatMap((now) => store.updateEntry(docId, { deletedAt: now })),
            Effect.andThen(store.deleteContents(docId)),
            Effect.andThen(store.deleteImages(docId)),
          ),
      });
    }),
  );
}
