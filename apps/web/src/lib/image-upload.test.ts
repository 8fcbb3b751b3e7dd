import { describe, expect, it } from 'vitest';
import { dataUrlToBlob, describeUploadRefusal, imageSourceFor, imageValueOf } from './image-upload';

const path = `/api/documents/doc-1/images/${'ab'.repeat(32)}`;

describe('image uploads', () => {
  it('[H4] a refused upload is told in words: too large (with the limit), wrong type, no permission', () => {
    expect(
      describeUploadRefusal(413, {
        tag: 'LimitExceeded',
        detail: 'The image is over the limit of 5242880 bytes',
      }),
    ).toBe('That image is too large: images can be at most 5 MB.');
    expect(describeUploadRefusal(400, { tag: 'InvalidInput' })).toBe(
      'Only PNG, JPEG, GIF and WebP images can be inserted.',
    );
    expect(describeUploadRefusal(403, { tag: 'Forbidden' })).toBe(
      'You do not have permission to add images to this document.',
    );
    expect(describeUploadRefusal(500, {})).toBe('The image could not be uploaded; try again.');
  });

  it('[H4] an uploaded image opened through a share link loads with the key; the delta keeps the bare path', () => {
    expect(imageSourceFor(path, 'k3y')).toBe(`${path}?key=k3y`);
    expect(imageSourceFor(path, undefined)).toBe(path);
    expect(imageSourceFor('https://example.com/a.png', 'k3y')).toBe('https://example.com/a.png');
    expect(imageValueOf(`${path}?key=k3y`)).toBe(path);
    expect(imageValueOf('https://example.com/a.png?size=2')).toBe('https://example.com/a.png?size=2');
  });

  it('[H4] a pasted data-URL image is decoded to the bytes it holds, to be uploaded', async () => {
    const blob = dataUrlToBlob('data:image/PNG;base64,iVBO Rw0K');
    expect(blob?.type).toBe('image/png');
    expect([...new Uint8Array((await blob?.arrayBuffer()) ?? new ArrayBuffer(0))]).toEqual([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a,
    ]);
    expect(dataUrlToBlob('data:image/png,plain')).toBeUndefined();
    expect(dataUrlToBlob('https://example.com/a.png')).toBeUndefined();
  });
});
