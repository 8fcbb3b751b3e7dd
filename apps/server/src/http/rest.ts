import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Delta, normalizeDocument } from '@collab/ot';
import {
  type DeltaJson,
  DocumentId,
  decodeLegacyDelta,
  describeIssues,
  encodeLegacyData,
  encodeLegacyDocument,
  errorCatalogue,
  LegacyCreateBody,
  LegacyUpdateBody,
  type Limits,
  parseJsonText,
} from '@collab/protocol';
import * as Effect from 'effect/Effect';
import type { z } from 'zod';
import type { AccessConfig } from '../access/config.js';
import type { Principal } from '../access/principal.js';
import type { AppServices } from '../app.js';
import type { AppError } from '../domain/errors.js';
import {
  type Bounds,
  chargeWrite,
  creationAdmission,
  quotaKeyOf,
  retryAfterSeconds,
} from '../limits/index.js';
import { log } from '../log.js';
import type { StorageFailure } from '../storage/index.js';
import { readBody } from './body.js';
import { sendJson } from './json.js';

/**
 * The seed's REST routes (docs/SPEC.md §6), with its success bodies kept byte for byte in shape:
 *
 * - `POST /api/database/documents` `{ id?, Data }` → `{"message":"Document created successfully","document_id":id}`
 * - `GET  /api/database/documents/get/{id}` → a JSON *string* holding `{"id":…,"Data":…}` (Data = the delta as
 *   JSON text); the seed's clients parse it twice, so it stays double-encoded. Missing → 404 `{"Error":…}`.
 * - `GET  /api/database/documents/getorcreate/{id}` → the same, creating `{"ops":[{"insert":"\n"}]}` if absent.
 * - `PUT  /api/database/documents/{id}` `{ Data }` → `{"Data": <the stored value>}`.
 *
 * Every write is committed as an op (the diff from the current contents), so open editors see it live, and
 * like the seed's DynamoDB writes (`put_item`, `update_item`) POST and PUT store the contents whether or not
 * the document exists. Bad input is refused with 400/413/429 and `{"detail": message}`, FastAPI's error
 * shape; it never reaches storage.
 */

const base = '/api/database';
const documentsPath = `${base}/documents`;

export function isRestPath(path: string): boolean {
  return path === base || path.startsWith(`${base}/`);
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** Seconds for `Retry-After` (429). */
  readonly retryAfter?: number;
}

type Route =
  | { readonly name: 'create' }
  | { readonly name: 'get' | 'getOrCreate' | 'update'; readonly rawId: string };

const allowed: Record<Route['name'], string> = {
  create: 'POST',
  get: 'GET',
  getOrCreate: 'GET',
  update: 'PUT',
};

function routeOf(path: string): Route | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === documentsPath) return { name: 'create' };
  if (!trimmed.startsWith(`${documentsPath}/`)) return undefined;
  const segments = trimmed.slice(documentsPath.length + 1).split('/');
  if (segments.length === 1) return { name: 'update', rawId: segments[0] as string };
  if (segments.length === 2 && segments[0] === 'get') return { name: 'get', rawId: segments[1] as string };
  if (segments.length === 2 && segments[0] === 'getorcreate') {
    return { name: 'getOrCreate', rawId: segments[1] as string };
  }
  return undefined;
}

const detail = (status: number, message: string): Reply => ({ status, body: { detail: message } });
const dataRequired = detail(400, 'Data field is required');

function errorReply(error: AppError | undefined): Reply {
  if (!error) return detail(500, errorCatalogue.Internal.message);
  if (error._tag === 'DocumentNotFound') return { status: 404, body: { Error: 'Document not found' } };
  const reply = detail(errorCatalogue[error._tag].status, error.message);
  return 'retryAfterMs' in error ? { ...reply, retryAfter: retryAfterSeconds(error.retryAfterMs) } : reply;
}

function parseId(rawId: string): { id: DocumentId } | Reply {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawId);
  } catch {
    return detail(400, 'The document id is not valid URL encoding');
  }
  const parsed = DocumentId.safeParse(decoded);
  if (!parsed.success) return detail(400, `Invalid document id: ${describeIssues(parsed.error.issues)}`);
  return { id: parsed.data };
}

/** The seed treated a falsy `Data` as missing; an empty object or array counts the same. */
function isEmptyData(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

function decodeData(value: unknown, limits: Limits): DeltaJson | Reply {
  if (isEmptyData(value)) return dataRequired;
  const decoded = decodeLegacyDelta(value, limits.maxNestingDepth);
  if (!decoded.ok) return detail(400, `Invalid Data: ${decoded.message}`);
  if (decoded.value.ops.length > limits.maxDeltaOps) {
    return detail(413, `Data has ${decoded.value.ops.length} ops, over the limit of ${limits.maxDeltaOps}`);
  }
  return decoded.value;
}

async function readJsonBody<T>(
  req: IncomingMessage,
  schema: z.ZodType<T>,
  limits: Limits,
): Promise<{ body: T } | Reply> {
  const read = await readBody(req, limits.maxMessageBytes);
  if (!read.ok) return detail(read.status, read.message);
  const parsed = parseJsonText(read.text, limits.maxNestingDepth);
  if (!parsed.ok) return detail(400, `The request body is ${parsed.message}`);
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return detail(400, 'The request body must be a JSON object');
  }
  const result = schema.safeParse(parsed.value);
  if (!result.success) return detail(400, `Invalid request body: ${describeIssues(result.error.issues)}`);
  return { body: result.data };
}

const isReply = (value: object): value is Reply => 'status' in value && 'body' in value;

export interface RestDeps {
  readonly services: AppServices;
  readonly limits: Limits;
  readonly access: AccessConfig;
  readonly bounds: Bounds;
}

/** REST writes are JSON only, so a cross-site form or `text/plain` request cannot make one [A5]. */
function isJson(req: IncomingMessage): boolean {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/** The handler of every path under `/api/database`. */
export function createRestHandler({ services, limits, access, bounds }: RestDeps) {
  const { sessions, settle } = services;

  /**
   * [A3] [A8] the request's principal (a bearer token, a browser session, or anonymous) must hold `need` on
   * the document; a document that does not exist yet is claimed first when the route creates it.
   */
  const allow = (principal: Principal, id: string, need: 'viewer' | 'editor', creates: boolean) =>
    (creates ? services.access.claim(principal, id) : Effect.void).pipe(
      Effect.andThen(services.access.require(principal, id, undefined, need)),
    );

  /** Replaces the contents as one op, or creates the document when it does not exist (yet). */
  const store = (
    principal: Principal,
    id: string,
    delta: DeltaJson,
    createFirst: boolean,
    address: string,
  ) => {
    const clientId = `${principal.authorId}.rest-${randomUUID()}`;
    const replace = sessions.replace(id, delta, clientId).pipe(Effect.asVoid);
    const admit = creationAdmission(bounds.quotas, quotaKeyOf(principal, address), address);
    const create = sessions.create(id, delta, admit).pipe(Effect.asVoid);
    const write = createFirst
      ? create.pipe(Effect.catchTag('DocumentExists', () => replace))
      : replace.pipe(
          Effect.catchTag('DocumentNotFound', () =>
            create.pipe(Effect.catchTag('DocumentExists', () => replace)),
          ),
        );
    return allow(principal, id, 'editor', true).pipe(Effect.andThen(write));
  };

  const documentReply = async (
    principal: Principal,
    id: string,
    create: boolean,
    address: string,
  ): Promise<Reply> => {
    const admit = creationAdmission(bounds.quotas, quotaKeyOf(principal, address), address);
    const read: Effect.Effect<{ delta: DeltaJson }, AppError | StorageFailure> = create
      ? sessions.getOrCreate(id, admit)
      : sessions.get(id);
    const outcome = await settle(allow(principal, id, 'viewer', create).pipe(Effect.andThen(read)), {
      route: create ? 'rest.getorcreate' : 'rest.get',
      docId: id,
    });
    if (!outcome.ok) return errorReply(outcome.error);
    return { status: 200, body: encodeLegacyDocument(id, outcome.value.delta.ops) };
  };

  const writeReply = async (
    principal: Principal,
    id: string,
    delta: DeltaJson,
    createFirst: boolean,
    address: string,
    success: Reply,
  ) => {
    const refusal = chargeWrite(bounds.quotas, quotaKeyOf(principal, address), delta.ops);
    if (refusal) return errorReply(refusal);
    const outcome = await settle(store(principal, id, delta, createFirst, address), {
      route: createFirst ? 'rest.create' : 'rest.update',
      docId: id,
    });
    return outcome.ok ? success : errorReply(outcome.error);
  };

  const handle = async (req: IncomingMessage, route: Route): Promise<Reply> => {
    const writes = route.name !== 'get';
    const address = bounds.addressOf(req);
    const wait = writes ? bounds.httpOps.take(address) : 0;
    if (wait > 0) {
      return {
        ...detail(errorCatalogue.RateLimited.status, 'Too many operations from this address; slow down'),
        retryAfter: retryAfterSeconds(wait),
      };
    }
    if ((route.name === 'create' || route.name === 'update') && !isJson(req)) {
      req.resume();
      return detail(415, 'The request body must be application/json');
    }
    const authenticated = await settle(services.access.authenticate(req, undefined), { route: 'rest.auth' });
    if (!authenticated.ok) return errorReply(authenticated.error);
    const principal = authenticated.value;
    if (route.name === 'create') {
      const read = await readJsonBody(req, LegacyCreateBody, limits);
      if (isReply(read)) return read;
      const delta = decodeData(read.body.Data, limits);
      if (isReply(delta)) return delta;
      const id = read.body.id ?? randomUUID();
      return writeReply(principal, id, delta, true, address, {
        status: 200,
        body: { message: 'Document created successfully', document_id: id },
      });
    }
    const parsedId = parseId(route.rawId);
    if (isReply(parsedId)) return parsedId;
    const { id } = parsedId;
    if (route.name === 'get') return documentReply(principal, id, false, address);
    if (route.name === 'getOrCreate') return documentReply(principal, id, true, address);
    const read = await readJsonBody(req, LegacyUpdateBody, limits);
    if (isReply(read)) return read;
    const delta = decodeData(read.body.Data, limits);
    if (isReply(delta)) return delta;
    const stored = encodeLegacyData(normalizeDocument(new Delta(delta.ops)).ops);
    return writeReply(principal, id, delta, false, address, { status: 200, body: { Data: stored } });
  };

  return (req: IncomingMessage, res: ServerResponse, path: string): void => {
    // [A5] cross-origin calls only from the configured origins (the seed's own front end among them).
    const origin = req.headers.origin;
    res.setHeader('vary', 'Origin');
    if (origin !== undefined && access.allowedOrigins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
    }
    const route = routeOf(path);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': route ? `${allowed[route.name]}, OPTIONS` : 'GET, POST, PUT, OPTIONS',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (!route) {
      sendJson(res, 404, { detail: 'Not Found' });
      return;
    }
    if (req.method !== allowed[route.name]) {
      res.setHeader('allow', allowed[route.name]);
      sendJson(res, 405, { detail: 'Method Not Allowed' });
      req.resume();
      return;
    }
    handle(req, route).then(
      (reply) => {
        if (reply.status >= 400 && reply.status < 500) log.debug('REST request refused', { path, ...reply });
        if (reply.retryAfter !== undefined) res.setHeader('retry-after', String(reply.retryAfter));
        sendJson(res, reply.status, reply.body);
      },
      (error: unknown) => {
        log.error('REST request failed', { path, error });
        if (!res.headersSent) sendJson(res, 500, { detail: errorCatalogue.Internal.message });
      },
    );
  };
}
