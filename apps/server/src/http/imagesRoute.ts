import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DocumentId,
  describeIssues,
  errorCatalogue,
  imageContentTypes,
  imageIdPattern,
  LinkKey,
} from '@collab/protocol';
import * as Effect from 'effect/Effect';
import type { AppServices } from '../app.js';
import { type AppError, DocumentNotFound, RateLimited } from '../domain/errors.js';
import { type Bounds, quotaKeyOf, retryAfterSeconds } from '../limits/index.js';
import { log } from '../log.js';
import { readBodyBytes } from './body.js';
import { sendJson } from './json.js';

const pattern = /^\/api\/documents\/([^/]+)\/images(?:\/([^/]*))?\/?$/;

export function isImagesPath(path: string): boolean {
  return pattern.test(path);
}

/** An image id names its bytes for ever, so a browser may keep it as long as it likes (but not share it). */
const immutable = 'private, max-age=31536000, immutable';

const accepted = new Set<string>(imageContentTypes);

/** A refusal as JSON: the catalogue's status, the message, and the tag clients switch on. */
function refuse(res: ServerResponse, error: AppError | undefined): void {
  const tag = error?._tag ?? 'Internal';
  if (error && 'retryAfterMs' in error)
    res.setHeader('retry-after', String(retryAfterSeconds(error.retryAfterMs)));
  sendJson(res, errorCatalogue[tag].status, {
    detail: error?.message ?? errorCatalogue.Internal.message,
    tag,
  });
}

/**
 * Images in documents [H4]:
 * - `POST /api/documents/{id}/images[?key=…]`, the image as the raw body with its `Content-Type`: stores it
 *   for whoever may edit the document (session, token or an editor link's key) → 201
 *   `{ imageId, url, contentType, size, width, height }`. The type is read from the bytes.
 * - `GET /api/documents/{id}/images/{imageId}[?key=…]`: the image, for whoever may view the document,
 *   cached privately for a year (the id is the hash of the bytes), with an ETag.
 */
export function createImagesHandler(services: AppServices, bounds: Bounds) {
  const { access, images, settle } = services;

  const upload = async (
    req: IncomingMessage,
    res: ServerResponse,
    docId: string,
    key: string | undefined,
  ) => {
    const address = bounds.addressOf(req);
    const wait = bounds.httpOps.take(address);
    if (wait > 0) {
      req.resume();
      refuse(
        res,
        new RateLimited({ message: 'Too many requests from this address; slow down', retryAfterMs: wait }),
      );
      return;
    }
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
    // Only image types: a cross-site form cannot send one, so an upload is never a forged form post [A5].
    if (!accepted.has(type)) {
      req.resume();
      sendJson(res, 415, {
        detail: 'Only PNG, JPEG, GIF and WebP images can be inserted',
        tag: 'InvalidInput',
      });
      return;
    }
    const allowed = await settle(
      access
        .authenticate(req, undefined)
        .pipe(Effect.tap((principal) => access.require(principal, docId, key, 'editor'))),
      { route: 'images.upload', docId },
    );
    if (!allowed.ok) {
      req.resume();
      refuse(res, allowed.error);
      return;
    }
    const { maxImageBytes } = bounds.settings;
    const body = await readBodyBytes(req, maxImageBytes);
    if (!body.ok) {
      const message =
        body.status === 413 ? `The image is over the limit of ${maxImageBytes} bytes` : body.message;
      sendJson(res, body.status, {
        detail: message,
        tag: body.status === 413 ? 'LimitExceeded' : 'InvalidInput',
      });
      return;
    }
    // [L3] an upload spends the principal's daily bytes like any write.
    const refusal = bounds.quotas.chargeBytes(quotaKeyOf(allowed.value, address), body.bytes.length);
    if (refusal) {
      refuse(res, new RateLimited(refusal));
      return;
    }
    const saved = await settle(images.save(docId, new Uint8Array(body.bytes)), {
      route: 'images.upload',
      docId,
    });
    if (!saved.ok) {
      refuse(res, saved.error);
      return;
    }
    sendJson(res, 201, saved.value);
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    docId: string,
    imageId: string,
    key: string | undefined,
  ) => {
    const absent = new DocumentNotFound({ message: 'Image not found' });
    const read = await settle(
      access.authenticate(req, undefined).pipe(
        Effect.tap((principal) => access.require(principal, docId, key, 'viewer')),
        Effect.andThen(
          imageIdPattern.test(imageId) ? images.load(docId, imageId) : Effect.succeed(undefined),
        ),
        Effect.flatMap((image) => (image ? Effect.succeed(image) : Effect.fail(absent))),
      ),
      { route: 'images.serve', docId },
    );
    if (!read.ok) {
      refuse(res, read.error);
      return;
    }
    const image = read.value;
    const etag = `"${image.imageId}"`;
    const headers = {
      'cache-control': immutable,
      etag,
      // Served as what the bytes are; a browser opening one directly runs nothing from it.
      'content-security-policy': "default-src 'none'; sandbox",
      'content-disposition': 'inline',
    };
    if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': image.contentType,
      'content-length': image.bytes.byteLength,
    });
    res.end(req.method === 'HEAD' ? undefined : image.bytes);
  };

  return (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const [, rawId = '', imageId] = pattern.exec(path) ?? [];
    const method = imageId === undefined ? 'POST' : 'GET';
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      res.setHeader('allow', method === 'GET' ? 'GET, HEAD' : 'POST');
      req.resume();
      sendJson(res, 405, { detail: 'Method Not Allowed' });
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawId);
    } catch {
      decoded = '';
    }
    const id = DocumentId.safeParse(decoded);
    if (!id.success) {
      req.resume();
      sendJson(res, 400, {
        detail: `Invalid document id: ${describeIssues(id.error.issues)}`,
        tag: 'InvalidInput',
      });
      return;
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const key = LinkKey.optional().safeParse(query.get('key') ?? undefined);
    if (!key.success) {
      req.resume();
      refuse(res, new DocumentNotFound({ message: errorCatalogue.DocumentNotFound.message }));
      return;
    }
    const handled =
      imageId === undefined
        ? upload(req, res, id.data, key.data)
        : serve(req, res, id.data, imageId, key.data);
    handled.catch((error: unknown) => {
      // settle() answers every failure of the effects; this is a bug in the handler itself [L4].
      log.error('image request failed', { path, error });
      if (!res.headersSent) sendJson(res, 500, { detail: errorCatalogue.Internal.message, tag: 'Internal' });
      else res.destroy();
    });
  };
}
