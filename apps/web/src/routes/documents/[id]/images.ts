import type Quill from 'quill';
import type { Delta as DeltaType, Range } from 'quill';
import {
  dataUrlToBlob,
  ImageUploadError,
  imageSourceFor,
  imageValueOf,
  offeredImageTypes,
  uploadImage,
} from '$lib/image-upload';

interface ImageBlotClass {
  create(value: unknown): HTMLElement;
  value(node: HTMLElement): unknown;
  new (...args: never[]): object;
}

/**
 * Images of a document opened through a share link load with the link's key [A2] [H4]: the image format
 * is replaced by one that adds the key to the source it shows and leaves it out of the value it gives the
 * delta, so the op log only ever holds the bare path.
 */
export function registerKeyedImages(QuillClass: typeof Quill, key: string | undefined): void {
  const Image = QuillClass.import('formats/image') as unknown as ImageBlotClass;
  class KeyedImage extends Image {
    static override create(value: unknown): HTMLElement {
      const node = Image.create(value);
      if (typeof value === 'string')
        node.setAttribute('src', imageSourceFor(node.getAttribute('src') ?? '', key));
      return node;
    }
    static override value(node: HTMLElement): unknown {
      const value = Image.value(node);
      return typeof value === 'string' ? imageValueOf(value) : value;
    }
  }
  QuillClass.register('formats/image', KeyedImage, true);
}

export interface ImageUploads {
  /** Quill's `uploader` module options: toolbar button, dropped and pasted files all end here. */
  readonly uploader: { mimetypes: string[]; handler: (this: unknown, range: Range, files: File[]) => void };
  /** Wires what needs the editor: pasted HTML whose images are data URLs is uploaded too. */
  attach(quill: Quill): void;
}

/**
 * Inserting images [H4]: a picked, dropped or pasted image file is uploaded to the server and its path
 * inserted where it was put; Quill's default (a base64 data URL in the delta) never runs. A refusal (too
 * large, wrong type, no permission) is told to the person through `onNotice`.
 */
export function imageUploads(options: {
  readonly id: string;
  readonly key: string | undefined;
  readonly onNotice: (message: string) => void;
}): ImageUploads {
  let editor: Quill | undefined;

  /** Uploads each image in turn and inserts it at `index`, one after the other. */
  const insertAll = async (index: number, images: readonly Blob[]) => {
    let at = index;
    for (const image of images) {
      try {
        const path = await uploadImage(options.id, options.key, image);
        if (!editor?.isEnabled()) return;
        at = Math.min(at, editor.getLength() - 1);
        editor.insertEmbed(at, 'image', path, 'user');
        at += 1;
        editor.setSelection(at, 0, 'silent');
      } catch (error) {
        options.onNotice(
          error instanceof ImageUploadError ? error.message : 'The image could not be uploaded; try again.',
        );
      }
    }
  };

  return {
    uploader: {
      mimetypes: [...offeredImageTypes],
      handler(range, files) {
        if (!editor) return;
        // The selection the image replaces goes at once, as Quill's own handler does.
        if (range.length > 0) editor.deleteText(range.index, range.length, 'user');
        void insertAll(range.index, files);
      },
    },
    attach(quill) {
      editor = quill;
      // Pasted HTML (a web page, a word processor) may carry its images as data URLs: they are taken out
      // of the paste and uploaded, then inserted where the paste ended.
      quill.clipboard.addMatcher('IMG', (_node, delta: DeltaType) => {
        const image = delta.ops[0]?.insert;
        const source =
          typeof image === 'object' && image !== null ? (image as { image?: unknown }).image : undefined;
        if (typeof source !== 'string' || !source.startsWith('data:')) return delta;
        const blob = dataUrlToBlob(source);
        // After the paste has been applied, so the image goes where the paste ended.
        queueMicrotask(() => {
          if (!blob) options.onNotice('A pasted image could not be read.');
          else void insertAll(quill.getSelection()?.index ?? quill.getLength() - 1, [blob]);
        });
        return new (delta.constructor as new () => DeltaType)();
      });
    },
  };
}
