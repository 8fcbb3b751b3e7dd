import type QuillCursors from 'quill-cursors';

/** How long a collaborator's name stays up after their cursor moved. */
const FLAG_SHOWN_MS = 3_000;

/**
 * Collaborators' name flags show while their cursor moves and fade after a few idle seconds, so they do
 * not cover the line above; hovering a cursor shows its flag again (quill-cursors does that) [H5].
 */
export function cursorFlags(cursors: QuillCursors) {
  const shown = new Map<string, { range: string; timer: ReturnType<typeof setTimeout> }>();
  return {
    /** The cursor is drawn at `range`: its flag shows when that is a move. */
    placed(id: string, range: unknown) {
      const key = JSON.stringify(range);
      const previous = shown.get(id);
      if (previous?.range === key) return;
      clearTimeout(previous?.timer);
      cursors.toggleFlag(id, true);
      const timer = setTimeout(() => cursors.toggleFlag(id, false), FLAG_SHOWN_MS);
      shown.set(id, { range: key, timer });
    },
    removed(id: string) {
      clearTimeout(shown.get(id)?.timer);
      shown.delete(id);
    },
    clear() {
      for (const { timer } of shown.values()) clearTimeout(timer);
      shown.clear();
    },
  };
}
