import { createHash } from 'node:crypto';
import { Delta } from '@collab/client';
import type { Me } from '@collab/protocol';
import mammoth from 'mammoth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/editing.js';
import {
  dataUrl,
  gifPixel,
  gradientPng,
  jpegPixel,
  largePng,
  scriptSvg,
  webpPixel,
} from '../support/images.js';
import { LegacyClient } from '../support/legacyClient.js';
import { browserSession, httpApiAs } from '../support/principals.js';
import { type SqliteServer, startSqliteServer } from '../support/server.js';
import { openSqliteFile } from '../support/sqliteFile.js';
import { failureOf } from '../support/trpc.js';

const maxImageBytes = 300_000;

interface Person {
  readonly cookie: string;
  readonly me: Me;
  readonly api: ReturnType<typeof httpApiAs>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every image value in a list of committed ops' deltas. */
const imagesIn = (ops: readonly { delta: { ops: readonly object[] } }[]) =>
  ops.flatMap((op) =>
    op.delta.ops.flatMap((o) =>
      'insert' in o && typeof o.insert === 'object' && o.insert !== null
        ? [(o.insert as { image?: unknown }).image]
        : [],
    ),
  );

describe('[H4] images: upload, serving, and data URLs stored as uploads', () => {
  let server: SqliteServer;

  beforeAll(async () => {
    server = await startSqliteServer({
      DEFAULT_GENERAL_ACCESS: 'restricted',
      MAX_IMAGE_BYTES: String(maxImageBytes),
      MAX_INLINE_IMAGES_PER_CHANGE: '3',
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const person = async (): Promise<Person> => {
    const { cookie, me } = await browserSession(server.httpUrl);
    return { cookie, me, api: httpApiAs(server.httpUrl, { cookie }) };
  };

  const upload = (docId: string, body: Buffer, type: string, cookie?: string, key?: string) =>
    fetch(`${server.httpUrl}/api/documents/${docId}/images${key ? `?key=${key}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': type, ...(cookie ? { cookie } : {}) },
      body: new Uint8Array(body),
    });

  const download = (path: string, cookie?: string, headers: Record<string, string> = {}) =>
    fetch(`${server.httpUrl}${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers } });

  const newDocument = async (owner: Person, id: string) => {
    await owner.api.documents.create.mutate({ id, delta: { ops: [{ insert: 'Photos\n' }] } });
    return id;
  };

  it('[H4] an editor uploads a PNG; it is served with its type, nosniff, a year of private caching and an ETag', async () => {
    const owner = await person();
    const id = await newDocument(owner, 'image-upload');
    const png = gradientPng(40, 30);
    const answer = await upload(id, png, 'image/png', owner.cookie);
    expect(answer.status).toBe(201);
    const saved = (await answer.json()) as Record<string, unknown>;
    expect(saved).toEqual({
      imageId: sha256(png),
      url: `/api/documents/${id}/images/${sha256(png)}`,
      contentType: 'image/png',
      size: png.length,
      width: 40,
      height: 30,
    });
    // The same bytes again: the same id, stored once.
    expect(await (await upload(id, png, 'image/png', owner.cookie)).json()).toEqual(saved);

    const served = await download(saved.url as string, owner.cookie);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    const etag = served.headers.get('etag');
    expect(etag).toBe(`"${sha256(png)}"`);
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    const again = await download(saved.url as string, owner.cookie, { 'if-none-match': etag ?? '' });
    expect(again.status).toBe(304);
  });

  it('[H4] the type is read from the bytes: PNG, JPEG, GIF and WebP pass; SVG and other bytes are refused', async () => {
    const owner = await person();
    const id = await newDocument(owner, 'image-types');
    for (const [bytes, type] of [
      [jpegPixel, 'image/jpeg'],
      [gifPixel, 'image/gif'],
      [webpPixel, 'image/webp'],
    ] as const) {
      // Declared as PNG: what is stored and served is what the bytes are.
      const answer = await upload(id, bytes, 'image/png', owner.cookie);
      expect(answer.status).toBe(201);
      const { url } = (await answer.json()) as { url: string };
      expect((await download(url, owner.cookie)).headers.get('content-type')).toBe(type);
    }
    for (const bytes of [scriptSvg, Buffer.from('just some text, not a picture')]) {
      const refused = await upload(id, bytes, 'image/png', owner.cookie);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({
        detail: 'Only PNG, JPEG, GIF and WebP images can be inserted',
        tag: 'InvalidInput',
      });
    }
    const svgType = await upload(id, scriptSvg, 'image/svg+xml', owner.cookie);
    expect(svgType.status).toBe(415);
    const formPost = await upload(id, gifPixel, 'application/x-www-form-urlencoded', owner.cookie);
    expect(formPost.status).toBe(415);
  });

  it('[H4] an image over MAX_IMAGE_BYTES is refused with LimitExceeded and nothing is stored', async () => {
    const owner = await person();
    const id = await newDocument(owner, 'image-size');
    const big = largePng(maxImageBytes + 1000);
    const refused = await upload(id, big, 'image/png', owner.cookie);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ tag: 'LimitExceeded' });
    expect((await download(`/api/documents/${id}/images/${sha256(big)}`, owner.cookie)).status).toBe(404);
  });

  it('[H4] access: a stranger can neither upload nor see; a viewer link sees but cannot upload; ids stay in their document', async () => {
    const owner = await person();
    const stranger = await person();
    const id = await newDocument(owner, 'image-access');
    const other = await newDocument(owner, 'image-access-other');
    const png = gradientPng(8, 8);
    const { url } = (await (await upload(id, png, 'image/png', owner.cookie)).json()) as { url: string };

    expect((await upload(id, png, 'image/png', stranger.cookie)).status).toBe(404);
    expect((await upload(id, png, 'image/png')).status).toBe(404);
    const hidden = await download(url, stranger.cookie);
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toMatchObject({ tag: 'DocumentNotFound' });
    expect((await download(url)).status).toBe(404);

    const { links } = await owner.api.access.rotateLink.mutate({ id, role: 'viewer' });
    const key = links?.viewer as string;
    const shared = await download(`${url}?key=${key}`, stranger.cookie);
    expect(shared.status).toBe(200);
    expect(Buffer.from(await shared.arrayBuffer()).equals(png)).toBe(true);
    expect((await download(`${url}?key=${key}`)).status).toBe(200);
    const viewerUpload = await upload(id, gradientPng(9, 9), 'image/png', stranger.cookie, key);
    expect(viewerUpload.status).toBe(403);
    expect(await viewerUpload.json()).toMatchObject({ tag: 'Forbidden' });

    const { links: editorLinks } = await owner.api.access.rotateLink.mutate({ id, role: 'editor' });
    expect(
      (await upload(id, gradientPng(9, 9), 'image/png', stranger.cookie, editorLinks?.editor ?? undefined))
        .status,
    ).toBe(201);
    // An image of one document is not found under another, even for its owner.
    expect((await download(url.replace(id, other), owner.cookie)).status).toBe(404);
    expect((await download(`/api/documents/${id}/images/${'0'.repeat(64)}`, owner.cookie)).status).toBe(404);
    expect((await download(`/api/documents/${id}/images/not-an-id`, owner.cookie)).status).toBe(404);
  });

  it('[H4] a data-URL image in a submit, an update, a create or a REST write is stored as an upload and committed as its path', async () => {
    const owner = await person();
    const id = await newDocument(owner, 'image-inline');
    const png = gradientPng(12, 12);
    const path = `/api/documents/${id}/images/${sha256(png)}`;
    const clientId = `${owner.me.authorId}.tab`;
    await owner.api.documents.submit.mutate({
      id,
      clientId,
      seq: 1,
      baseVersion: 0,
      delta: { ops: [{ retain: 6 }, { insert: { image: dataUrl(png) } }] },
    });
    const gif = `/api/documents/${id}/images/${sha256(gifPixel)}`;
    await owner.api.documents.update.mutate({
      id,
      delta: {
        ops: [
          { insert: 'Photos' },
          { insert: { image: path } },
          { insert: { image: dataUrl(gifPixel, 'image/gif') } },
          { insert: '\n' },
        ],
      },
    });
    const created = await owner.api.documents.create.mutate({
      id: 'image-inline-created',
      delta: { ops: [{ insert: { image: dataUrl(png) } }, { insert: '\n' }] },
    });
    expect(created.delta.ops[0]).toEqual({
      insert: { image: `/api/documents/image-inline-created/images/${sha256(png)}` },
    });
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    const rest = await fetch(`${server.httpUrl}/api/database/documents/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        Data: JSON.stringify({
          ops: [{ insert: { image: dataUrl(webpPixel, 'image/webp') } }, { insert: '\n' }],
        }),
      }),
    });
    expect(rest.status).toBe(200);
    const webp = `/api/documents/${id}/images/${sha256(webpPixel)}`;

    const history = await owner.api.documents.history.query({ id, fromVersion: 0 });
    expect(imagesIn(history.ops)).toEqual([path, gif, webp]);
    expect(JSON.stringify(history.ops)).not.toContain('data:');
    const served = await download(path, owner.cookie);
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    expect((await owner.api.documents.get.query({ id })).delta.ops[0]).toEqual({ insert: { image: webp } });
  });

  it('[H4] a data-URL image that is too large, not an image, or one too many is refused with a typed error and changes nothing', async () => {
    const owner = await person();
    const id = await newDocument(owner, 'image-inline-refused');
    const clientId = `${owner.me.authorId}.tab`;
    const submit = (ops: object[], seq: number) =>
      failureOf(
        owner.api.documents.submit.mutate({ id, clientId, seq, baseVersion: 0, delta: { ops } as never }),
      );
    const big = largePng(maxImageBytes + 1000);
    expect(await submit([{ insert: { image: dataUrl(big) } }], 1)).toMatchObject({ tag: 'LimitExceeded' });
    expect(await submit([{ insert: { image: dataUrl(scriptSvg, 'image/svg+xml') } }], 2)).toMatchObject({
      tag: 'InvalidOperation',
    });
    expect(await submit([{ insert: { image: 'data:image/png,not-base64' } }], 3)).toMatchObject({
      tag: 'InvalidOperation',
    });
    const four = [1, 2, 3, 4].map((n) => ({ insert: { image: dataUrl(gradientPng(n, n)) } }));
    const refused = await submit(four, 4);
    expect(refused).toMatchObject({ tag: 'LimitExceeded' });
    expect(refused.message).toContain('over the limit of 3');
    expect((await owner.api.documents.get.query({ id })).version).toBe(0);
    expect((await download(`/api/documents/${id}/images/${sha256(big)}`, owner.cookie)).status).toBe(404);
  });

  it('[H4] a data-URL image from the seed client (legacy socket) is committed as its path; the next load shows the path', async () => {
    const owner = await person();
    const id = await newDocument(owner, 'image-legacy');
    await owner.api.access.setGeneralAccess.mutate({ id, generalAccess: 'edit' });
    const png = gradientPng(10, 10);
    const path = `/api/documents/${id}/images/${sha256(png)}`;
    const legacy = await LegacyClient.open(server.port, id);
    legacy.edit(new Delta().retain(6).insert({ image: dataUrl(png) }));
    let version = 0;
    await waitFor(() => {
      void owner.api.documents.get.query({ id }).then((doc) => {
        version = doc.version;
      });
      return version === 1;
    }, 'the change to commit');
    const history = await owner.api.documents.history.query({ id, fromVersion: 0 });
    expect(imagesIn(history.ops)).toEqual([path]);
    expect(JSON.stringify(history.ops)).not.toContain('data:');
    await legacy.close();
    const reopened = await LegacyClient.open(server.port, id);
    expect(reopened.contents?.ops[1]).toEqual({ insert: { image: path } });
    await reopened.close();
  });

  it('[H4] [H2] exports carry the uploaded images: HTML and Markdown as data URLs, DOCX as pictures', async () => {
    const owner = await person();
    const id = 'image-export';
    const png = gradientPng(16, 8);
    await owner.api.documents.create.mutate({
      id,
      delta: {
        ops: [
          { insert: 'Chart\n' },
          { insert: { image: dataUrl(png) } },
          { insert: { image: dataUrl(webpPixel, 'image/webp') } },
          { insert: '\n' },
        ],
      },
    });
    const exported = async (format: string) => {
      const answer = await download(`/api/documents/${id}/export?format=${format}`, owner.cookie);
      expect(answer.status).toBe(200);
      return Buffer.from(await answer.arrayBuffer());
    };
    const embedded = dataUrl(png);
    const html = (await exported('html')).toString('utf8');
    expect(html).toContain(`<img src="${embedded}"`);
    expect(html).toContain(`data:image/webp;base64,${webpPixel.toString('base64')}`);
    expect((await exported('md')).toString('utf8')).toContain(`![](${embedded})`);
    // Word has no WebP: that one stays a reference; the PNG is a picture in the file.
    const docx = await mammoth.convertToHtml({ buffer: await exported('docx') });
    expect(docx.value).toContain(`<img src="${embedded}"`);
    expect(docx.value.match(/<img /g)).toHaveLength(1);
    expect((await exported('txt')).toString('utf8')).toBe('Chart\n\n');
  });

  it('[H3] [H4] deleting a document forever removes its images from storage', async () => {
    const owner = await person();
    const id = 'image-forever';
    await owner.api.documents.create.mutate({
      id,
      delta: { ops: [{ insert: { image: dataUrl(gradientPng(6, 6)) } }, { insert: '\n' }] },
    });
    await upload(id, gifPixel, 'image/gif', owner.cookie);
    const stored = openSqliteFile(server.sqlitePath);
    try {
      expect(stored.imageCount(id)).toBe(2);
      await owner.api.home.trash.mutate({ id });
      expect(stored.imageCount(id)).toBe(2);
      await owner.api.home.deleteForever.mutate({ id });
      expect(stored.imageCount(id)).toBe(0);
    } finally {
      stored.close();
    }
  });

  it('[A7] [H4] an image must be an uploaded image path or https: other site paths are refused', async () => {
    const owner = await person();
    const id = await newDocument(owner, 'image-allowlist');
    const clientId = `${owner.me.authorId}.tab`;
    for (const [seq, image] of [
      '/api/documents/x/export?format=docx',
      '/favicon.png',
      `/api/documents/${id}/images/ABC`,
    ].entries()) {
      expect(
        await failureOf(
          owner.api.documents.submit.mutate({
            id,
            clientId,
            seq: seq + 1,
            baseVersion: 0,
            delta: { ops: [{ insert: { image } }] },
          }),
        ),
      ).toMatchObject({ tag: 'InvalidOperation' });
    }
  });
});
