import type { ClientSession, CollabClient, DocumentStatus, RemotePresence } from '@collab/client';
import {
  type AccessInfo,
  editorFormats,
  type Me,
  type OpenedDocument,
  sanitizeDocumentOps,
} from '@collab/protocol';
import type Quill from 'quill';
import type { Delta, EmitterSource, Range } from 'quill';
import type QuillCursors from 'quill-cursors';
import { collabSocketUrl } from '$lib/collab-url';
import { titleFromText } from '$lib/document-title';
import { type Identity, textColorOn } from '$lib/identity';
import { type ClaimedEdits, type OfflineEdits, openOfflineEdits } from '$lib/offline-edits';
import { describeOpenFailure, type OpenFailure } from '$lib/open-failure';
import { type DrawnCursor, planCursors } from '$lib/presence';
import { describeReset } from '$lib/reset-notice';
import { fetchMe } from '$lib/server-session';
import { cursorFlags } from './cursor-flags';
import { showDocument } from './document-dom';
import { buildDocumentDeltaInOnePass } from './editor-delta';
import { imageUploads, registerKeyedImages } from './images';
import { registerSchemeLinks } from './links';
import { shortcutBindings } from './shortcuts';

/** Where opening the document stands. */
export type EditorPhase =
  | { readonly kind: 'loading' }
  /** The document is not open yet and the server has not answered for a while; still trying. */
  | { readonly kind: 'unreachable' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly failure: OpenFailure };

export interface CollabEditorOptions {
  readonly id: string;
  /** The share link key the document was opened with (`?key=`), sent on every call [A2]. */
  readonly key: string | undefined;
  /** The element Quill turns into the editor. */
  readonly editor: HTMLElement;
  /** The toolbar markup Quill wires up. */
  readonly toolbar: HTMLElement;
  /** Undefined until the person has told us their name; nobody sees their cursor until then. */
  readonly identity: Identity | undefined;
  onPhase(phase: EditorPhase): void;
  /** Who the server says this browser is (its session) [A1]. */
  onMe(me: Me): void;
  /** The person's role on the document; a viewer gets a read-only editor [A2]. */
  onAccess(access: AccessInfo): void;
  /** The document as the home knows it (its title); opening it put it in the caller's home [H3]. */
  onOpened(document: OpenedDocument): void;
  onStatus(status: DocumentStatus): void;
  onPresence(others: readonly RemotePresence[]): void;
  /** The first line of the document, whenever it may have changed. */
  onTitle(title: string): void;
  /** The whole text, shortly after it changed (word and character count) [H5]. */
  onText(text: string): void;
  /** Something went wrong that the person should know about, though editing goes on. */
  onNotice(message: string): void;
}

export interface CollabEditor {
  setIdentity(identity: Identity): void;
  /** Opens the document again now, instead of waiting for the next automatic attempt. */
  retry(): void;
  focus(): void;
  /** The connection to the server once loaded: its typed API and client id (history, restore). */
  client(): CollabClient | undefined;
  /** The text of the selection ("" when nothing is selected). */
  selectedText(): string;
  /** The whole text (what find searches). */
  text(): string;
  /** Paints a range as the current find match and scrolls to it, leaving the focus where it is. */
  showMatch(range: { index: number; length: number } | null): void;
  /** Selects a range in the editor and puts the focus there. */
  select(index: number, length: number): void;
  /** Replaces ranges of the text, as one edit of the person's (find and replace) [H5]. */
  replaceRanges(ranges: readonly { index: number; length: number }[], replacement: string): void;
  destroy(): void;
}

/** Without an answer for this long, opening shows "can't reach the server" (and keeps trying). */
const UNREACHABLE_AFTER_MS = 5_000;
/** Delay before opening again after the server could not be reached. */
const REOPEN_AFTER_MS = 3_000;
const TITLE_DEBOUNCE_MS = 250;
/**
 * The whole text (word count) is read this long after typing pauses: reading and counting a megabyte takes
 * tens of milliseconds, which must not fall between two keystrokes.
 */
const TEXT_DEBOUNCE_MS = 1_000;
/**
 * [C10] Unacknowledged edits are written to the device this long after a change while the server cannot take
 * them (offline, connecting), and at once when the page hides or goes away.
 */
const OFFLINE_SAVE_DELAY_MS = 200;
/** [C10] Online, they are written only when the server has left the op in flight unacknowledged this long. */
const UNACKNOWLEDGED_SAVE_DELAY_MS = 1_000;
/** The name of the CSS highlight that paints the current find match (see editor.css). */
const FIND_MATCH_HIGHLIGHT = 'find-match';
/** The title is the first line: reading this much text always covers it (titles are cut at 80). */
const TITLE_SCAN_LENGTH = 1_000;

type ClientModule = typeof import('@collab/client');

/**
 * Creates Quill in the browser (it touches `document` when imported, so it is loaded here and never
 * during server rendering), opens the document through `@collab/client` and keeps the two in step:
 * the person's edits go out as ops, remote ops come in without moving their caret, and everyone
 * else's cursors are drawn with their names [C6]. Undo only covers the person's own edits [C7].
 */
export function startCollabEditor(options: CollabEditorOptions): CollabEditor {
  let destroyed = false;
  let identity = options.identity;
  let quill: Quill | undefined;
  let QuillClass: typeof Quill | undefined;
  let cursors: QuillCursors | undefined;
  let clientModule: ClientModule | undefined;
  let client: CollabClient | undefined;
  let session: ClientSession | undefined;
  let unbind: (() => void) | undefined;
  let attempt = 0;
  let slowTimer: ReturnType<typeof setTimeout> | undefined;
  let reopenTimer: ReturnType<typeof setTimeout> | undefined;
  let offline: OfflineEdits | undefined;
  /** Edits an earlier page left unsent, restored when the document opens [C10]. */
  let claimed: ClaimedEdits | undefined;
  /** The clientId a retried connection keeps, so its unacknowledged op is recognised when resent [C3]. */
  let keptClientId: string | undefined;

  const setPhase = (phase: EditorPhase) => {
    if (!destroyed) options.onPhase(phase);
  };

  async function load(): Promise<void> {
    setPhase({ kind: 'loading' });
    const [{ default: LoadedQuill }, { default: Cursors }, collab] = await Promise.all([
      import('quill'),
      import('quill-cursors'),
      import('@collab/client'),
    ]);
    if (destroyed) return;
    QuillClass = LoadedQuill;
    if (!QuillClass.imports['modules/cursors']) QuillClass.register('modules/cursors', Cursors);
    registerSchemeLinks(QuillClass);
    registerKeyedImages(QuillClass, options.key);
    const uploads = imageUploads({ id: options.id, key: options.key, onNotice: options.onNotice });
    quill = new QuillClass(options.editor, {
      theme: 'snow',
      readOnly: true,
      // Exactly what the server stores [A7]: a paste cannot bring in anything else.
      formats: [...editorFormats],
      placeholder: 'Start typing…',
      modules: {
        toolbar: { container: options.toolbar },
        // Images are uploaded and referenced by URL, never put in the delta as data URLs [H4].
        uploader: uploads.uploader,
        history: { userOnly: true, delay: 1000, maxStack: 500 },
        keyboard: { bindings: shortcutBindings },
        // The client re-sends everyone's cursor after every change, already moved through it; so
        // quill-cursors neither moves them nor redraws them all and re-reads the selection after each
        // change itself (a forced layout of the document per keystroke).
        cursors: { transformOnTextChange: false, selectionChangeSource: null },
      },
    });
    buildDocumentDeltaInOnePass(quill, QuillClass);
    cursors = quill.getModule('cursors') as QuillCursors;
    uploads.attach(quill);
    // Screen readers name the editing area [H5].
    quill.root.setAttribute('aria-label', 'Document');
    quill.root.setAttribute('role', 'textbox');
    quill.root.setAttribute('aria-multiline', 'true');
    labelPickers(options.toolbar);
    clientModule = collab;
    offline = await openOfflineEdits();
    claimed = await offline?.claim(options.id);
    if (destroyed) return;
    await open();
  }

  /** The session cookie comes over HTTP first, so the socket opens with it [A1]. */
  async function connect(collab: ClientModule, clientId: string | undefined): Promise<CollabClient> {
    let me: Me;
    try {
      me = await fetchMe();
    } catch {
      throw new collab.CollabError('Disconnected', 'The server could not be reached');
    }
    options.onMe(me);
    return collab.createCollabClient({
      url: collabSocketUrl(window.location),
      ...(clientId ? { clientId } : {}),
    });
  }

  async function open(): Promise<void> {
    if (!clientModule || destroyed) return;
    const thisAttempt = ++attempt;
    clearTimeout(reopenTimer);
    clearTimeout(slowTimer);
    slowTimer = setTimeout(() => setPhase({ kind: 'unreachable' }), UNREACHABLE_AFTER_MS);
    try {
      // The same clientId as the page that left the edits, so the server recognises an op it already has.
      client ??= await connect(clientModule, claimed?.clientId ?? keptClientId);
      await client.me();
      await offline?.hold(options.id, client.clientId);
      const ref = options.key === undefined ? { id: options.id } : { id: options.id, key: options.key };
      // Opening never creates: a missing document is "not found" and creation is explicit [H3].
      const opened = await client.openDocument(options.id, {
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(claimed ? { restore: claimed.edits } : {}),
        create: false,
      });
      claimed = undefined;
      const [access, inHome] = await Promise.all([
        client.api.access.get.query(ref),
        client.api.home.open.mutate(ref),
      ]).catch((error: unknown) => {
        opened.close();
        throw error;
      });
      if (destroyed || thisAttempt !== attempt) {
        opened.close();
        return;
      }
      clearTimeout(slowTimer);
      session = opened;
      options.onAccess(access);
      options.onOpened(inHome);
      unbind = bind(opened, access.role !== 'viewer');
      setPhase({ kind: 'ready' });
    } catch (error) {
      if (destroyed || thisAttempt !== attempt) return;
      clearTimeout(slowTimer);
      const tag = error instanceof clientModule.CollabError ? error.tag : undefined;
      const failure = describeOpenFailure(tag);
      if (failure.retryable) {
        setPhase({ kind: 'unreachable' });
        reopenTimer = setTimeout(() => void open(), REOPEN_AFTER_MS);
      } else {
        setPhase({ kind: 'failed', failure });
      }
    }
  }

  function bind(doc: ClientSession, editable: boolean): () => void {
    const ref = options.key === undefined ? { id: options.id } : { id: options.id, key: options.key };
    const editor = quill;
    if (!editor || !clientModule) throw new Error('the editor is not created');
    const { Delta: ClientDelta, renderableDocument, renderableFix } = clientModule;
    const drawn = new Map<string, DrawnCursor>();
    const flags = cursors && cursorFlags(cursors);
    let titleTimer: ReturnType<typeof setTimeout> | undefined;
    let textTimer: ReturnType<typeof setTimeout> | undefined;
    /** Whether the text changed since the cursors were placed (they may have moved on the page). */
    let textChanged = true;

    const showContents = (contents: Delta) => {
      // A document stored before the content allowlist may hold what the editor cannot render [A7].
      const sanitized = sanitizeDocumentOps(contents.ops as Parameters<typeof sanitizeDocumentOps>[0]);
      if (sanitized.dropped > 0)
        console.warn(`${sanitized.dropped} unsupported formats or embeds are shown as plain text`);
      // [C12] A line stored as two kinds at once (or formatted text in a code block) shows as every
      // editor shows it, until the server's fix of it arrives.
      const { ops } = renderableDocument(new ClientDelta(sanitized.ops as Delta['ops']));
      // Out of the layout while Quill builds it: Quill reads the selection after its steps, and each read
      // made the browser lay out the document so far (seconds for a megabyte).
      const display = editor.root.style.display;
      editor.root.style.display = 'none';
      try {
        const shown = QuillClass !== undefined && showDocument(editor, QuillClass, ops as Delta['ops']);
        if (!shown) editor.setContents(ops as Delta['ops'], 'silent');
      } finally {
        editor.root.style.display = display;
      }
      // Opening or reloading is not something to undo.
      editor.history.clear();
      textChanged = true;
      publishTitle();
      // After the document shows: counting a megabyte's words need not delay it.
      clearTimeout(textTimer);
      textTimer = setTimeout(publishText, 0);
    };
    const publishTitle = () => {
      clearTimeout(titleTimer);
      options.onTitle(titleFromText(editor.getText(0, TITLE_SCAN_LENGTH)));
    };
    const publishText = () => {
      clearTimeout(textTimer);
      options.onText(editor.getText());
    };
    const sendPresence = (range: Range | null) => {
      if (identity) doc.setPresence(identity, range && { index: range.index, length: range.length });
    };

    const onTextChange = (delta: Delta, _old: Delta, source: EmitterSource) => {
      textChanged = true;
      if (source === 'user') {
        try {
          doc.apply(delta);
        } catch {
          // The editor and the session disagree about the document; the session's copy wins.
          showContents(doc.contents);
          options.onNotice('Your last change could not be applied, so the document was refreshed.');
        }
      }
      clearTimeout(titleTimer);
      titleTimer = setTimeout(publishTitle, TITLE_DEBOUNCE_MS);
      clearTimeout(textTimer);
      textTimer = setTimeout(publishText, TEXT_DEBOUNCE_MS);
    };
    const onSelectionChange = (range: Range | null) => sendPresence(range);

    // [C10] What the device keeps follows where the edits are. Writing them costs a copy of the whole
    // document they were made on (a megabyte for a long one), made again for every version: online, each
    // acknowledgement is a new version, so writing after every keystroke cost a long frame each time.
    // Online, the server acknowledges within moments and the edits are safe there: they are written only
    // when the op in flight stays unacknowledged for a while (a connection that died unnoticed). Offline or
    // connecting, no version comes in, so each write after the first copies only the edits. Hiding or
    // leaving the page writes at once, and the record goes once everything is acknowledged.
    let saveTimer: ReturnType<typeof setTimeout> | undefined;
    /** The in-flight op the pending online write waits on. */
    let waitingOnSeq: number | undefined;
    /** Whether the device may hold a record for this page (one claimed from an earlier page counts). */
    let stored = true;
    const saveOffline = () => {
      clearTimeout(saveTimer);
      saveTimer = undefined;
      const edits = doc.unsavedEdits();
      if (edits === undefined && !stored) return;
      stored = edits !== undefined;
      offline?.save(doc.id, client?.clientId ?? '', edits).catch(() => {
        options.onNotice(
          'Your edits could not be kept on this device: keep this page open until they are saved.',
        );
      });
    };
    const cancelSave = () => {
      clearTimeout(saveTimer);
      saveTimer = undefined;
      waitingOnSeq = undefined;
    };
    const scheduleOfflineSave = () => {
      const { pendingEdits, connection } = doc.status;
      if (pendingEdits === 0 && !stored) {
        cancelSave();
      } else if (pendingEdits === 0 || connection !== 'online') {
        if (waitingOnSeq !== undefined) cancelSave();
        saveTimer ??= setTimeout(saveOffline, OFFLINE_SAVE_DELAY_MS);
      } else if (saveTimer === undefined || waitingOnSeq !== doc.inFlightSeq) {
        cancelSave();
        waitingOnSeq = doc.inFlightSeq;
        saveTimer = setTimeout(saveOffline, UNACKNOWLEDGED_SAVE_DELAY_MS);
      }
    };
    const onPageHide = () => saveOffline();
    const onVisibilityChange = () => {
      if (document.visibilityState === 'hidden') saveOffline();
    };
    window.addEventListener('pagehide', onPageHide);
    document.addEventListener('visibilitychange', onVisibilityChange);

    // While disconnected nobody's whereabouts are known: their cursors and avatars would be stale.
    let online = doc.status.connection === 'online';
    let latestOthers: readonly RemotePresence[] = [];
    // Presence comes with every local edit and every op received: it is shown once per frame, since
    // placing a cursor lays out the document.
    let presenceFrame: number | undefined;
    const showPresence = () => {
      presenceFrame ??= requestAnimationFrame(() => {
        presenceFrame = undefined;
        const others = online ? latestOthers : [];
        drawCursors(others);
        options.onPresence(others);
      });
    };
    const placedAt = new Map<string, string>();

    const drawCursors = (others: readonly RemotePresence[]) => {
      const moved = textChanged;
      textChanged = false;
      const plan = planCursors(drawn, others);
      for (const id of plan.remove) {
        cursors?.removeCursor(id);
        flags?.removed(id);
        drawn.delete(id);
        placedAt.delete(id);
      }
      for (const cursor of plan.show) {
        if (cursor.create) {
          cursors?.createCursor(cursor.clientId, cursor.name, cursor.color);
          drawn.set(cursor.clientId, { name: cursor.name, color: cursor.color });
          styleCursorFlag(editor.container, cursor.clientId, cursor.color);
        }
        const at = `${cursor.range.index}:${cursor.range.length}`;
        if (!cursor.create && !moved && placedAt.get(cursor.clientId) === at) continue;
        // Quill has no position for a range in a line it has not laid out yet; drawing one there throws.
        if (!editor.getBounds(cursor.range.index, cursor.range.length)) continue;
        placedAt.set(cursor.clientId, at);
        cursors?.moveCursor(cursor.clientId, cursor.range);
        flags?.placed(cursor.clientId, cursor.range);
      }
    };

    showContents(doc.contents);
    editor.enable(editable);
    editor.on('text-change', onTextChange);
    editor.on('selection-change', onSelectionChange);
    const stops = [
      doc.on('change', (delta) => {
        // 'api': Quill moves the local caret through the change without taking it along (a remote
        // insert at the caret lands after it), and history transforms the undo stack instead of
        // recording the change [C7].
        // [C12] A line the change leaves as Quill cannot show it is shown resolved as the server resolves
        // it, in the same step, so no editor shows it another way meanwhile.
        const fix = renderableFix(doc.document, delta);
        editor.updateContents(fix === undefined ? delta : delta.compose(fix), 'api');
      }),
      doc.on('reset', (contents, notice) => {
        showContents(contents);
        options.onNotice(describeReset(notice));
      }),
      doc.on('status', (status) => {
        options.onStatus(status);
        scheduleOfflineSave();
        if ((status.connection === 'online') !== online) {
          online = status.connection === 'online';
          showPresence();
        }
      }),
      doc.on('presence', (others) => {
        latestOthers = others;
        showPresence();
      }),
      doc.on('error', (error) => {
        if (error.tag === 'LimitExceeded') options.onNotice('That change is larger than the server accepts.');
        // [A3] access was lowered to viewing: the editor turns read-only; or it ended altogether.
        if (error.tag === 'Forbidden') {
          editor.enable(false);
          void client?.api.access.get.query(ref).then(options.onAccess, () => {});
          options.onNotice('You can now only view this document.');
        }
        if (error.tag === 'DocumentNotFound')
          setPhase({ kind: 'failed', failure: describeOpenFailure(error.tag) });
      }),
    ];
    options.onStatus(doc.status);
    scheduleOfflineSave();
    sendPresence(editor.hasFocus() ? editor.getSelection() : null);

    return () => {
      saveOffline();
      window.removeEventListener('pagehide', onPageHide);
      document.removeEventListener('visibilitychange', onVisibilityChange);
      clearTimeout(titleTimer);
      clearTimeout(textTimer);
      editor.off('text-change', onTextChange);
      editor.off('selection-change', onSelectionChange);
      for (const stop of stops) stop();
      if (presenceFrame !== undefined) cancelAnimationFrame(presenceFrame);
      flags?.clear();
      cursors?.clearCursors();
    };
  }

  load().catch(() => {
    // A chunk of the app did not download: the server went away after the page loaded.
    setPhase({ kind: 'failed', failure: describeOpenFailure('Internal') });
  });

  return {
    setIdentity(next) {
      identity = next;
      if (session && quill) session.setPresence(next, quill.hasFocus() ? quill.getSelection() : null);
    },
    retry() {
      if (session || !clientModule || destroyed) return;
      const clientId = client?.clientId;
      client?.close();
      keptClientId = clientId;
      client = undefined;
      setPhase({ kind: 'loading' });
      void open();
    },
    focus() {
      if (session) quill?.focus();
    },
    client: () => client,
    text: () => quill?.getText() ?? '',
    showMatch(range) {
      CSS.highlights?.delete(FIND_MATCH_HIGHLIGHT);
      if (!quill || !range) return;
      const [startLeaf, startOffset] = quill.getLeaf(range.index + 1);
      const [endLeaf, endOffset] = quill.getLeaf(range.index + range.length);
      if (!(startLeaf?.domNode instanceof Text) || !(endLeaf?.domNode instanceof Text)) return;
      const dom = document.createRange();
      dom.setStart(startLeaf.domNode, startOffset - 1);
      dom.setEnd(endLeaf.domNode, endOffset);
      CSS.highlights?.set(FIND_MATCH_HIGHLIGHT, new Highlight(dom));
      startLeaf.domNode.parentElement?.scrollIntoView({ block: 'nearest' });
    },
    select(index, length) {
      quill?.setSelection(index, length, 'user');
    },
    replaceRanges(ranges, replacement) {
      if (!quill || !session) return;
      const sorted = [...ranges].sort((a, b) => a.index - b.index);
      const change: Delta['ops'] = [];
      let at = 0;
      for (const range of sorted) {
        // The replacement keeps the formatting of the text it replaces.
        const attributes = quill.getContents(range.index, 1).ops[0]?.attributes;
        if (range.index > at) change.push({ retain: range.index - at });
        change.push({ delete: range.length });
        if (replacement)
          change.push(attributes ? { insert: replacement, attributes } : { insert: replacement });
        at = range.index + range.length;
      }
      quill.updateContents(change, 'user');
    },
    selectedText() {
      const range = quill?.getSelection();
      return range && quill ? quill.getText(range.index, range.length) : '';
    },
    destroy() {
      destroyed = true;
      clearTimeout(slowTimer);
      clearTimeout(reopenTimer);
      unbind?.();
      session?.close();
      client?.close();
    },
  };
}

const ALIGN_NAMES: Record<string, string> = {
  '': 'Align left',
  center: 'Centre',
  right: 'Align right',
  justify: 'Justify',
};

/** Names for the colour, alignment and heading pickers, which Quill builds without one. */
function labelPickers(toolbar: HTMLElement): void {
  for (const picker of toolbar.querySelectorAll<HTMLElement>('.ql-picker')) {
    const label = picker.querySelector<HTMLElement>('.ql-picker-label');
    const name = picker.getAttribute('aria-label');
    if (!label || !name) continue;
    picker.removeAttribute('aria-label');
    picker.removeAttribute('title');
    label.setAttribute('aria-label', name);
    label.setAttribute('title', name);
  }
  for (const item of toolbar.querySelectorAll<HTMLElement>('.ql-picker-item')) {
    const value = item.dataset.value;
    const isAlign = item.closest('.ql-align') !== null;
    const name = isAlign ? ALIGN_NAMES[value ?? ''] : (item.dataset.label ?? value ?? 'Default');
    if (name && !item.hasAttribute('aria-label')) item.setAttribute('aria-label', name);
  }
}

/** Collaborators pick any colour; their name label gets the text colour that stays readable on it. */
function styleCursorFlag(container: HTMLElement, clientId: string, color: string): void {
  const flag = container.querySelector<HTMLElement>(
    `#${CSS.escape(`ql-cursor-${clientId}`)} .ql-cursor-flag`,
  );
  if (flag) flag.style.color = textColorOn(color);
}
