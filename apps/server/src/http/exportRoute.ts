import type { IncomingMessage, ServerResponse } from 'node:http';
import { DocumentId, describeIssues, errorCatalogue, LinkKey } from '@collab/protocol';
import * as Effect from 'effect/Effect';
import type { AppServices } from '../app.js';
import { exportFile } from '../export/exporter.js';
import { ExportFormat } from '../export/formats.js';
import { sendJson } from './json.js';

const pattern = /^\/api\/documents\/([^/]+)\/export\/?$/;

export function isExportPath(path: string): boolean {
  return pattern.test(path);
}

/**
 * `GET /api/documents/{id}/export?format=html|md|txt|docx[&key=…]`: the document as a download [H2], for
 * whoever may view it (the caller's session, token or link key) [A3].
 */
export function createExportHandler(services: AppServices) {
  return (req: IncomingMessage, res: ServerResponse, path: string): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { detail: 'Method Not Allowed' });
      req.resume();
      return;
    }
    let rawId: string;
    try {
      rawId = decodeURIComponent(pattern.exec(path)?.[1] ?? '');
    } catch {
      sendJson(res, 400, { detail: 'The document id is not valid URL encoding' });
      return;
    }
    const id = DocumentId.safeParse(rawId);
    if (!id.success) {
      sendJson(res, 400, { detail: `Invalid document id: ${describeIssues(id.error.issues)}` });
      return;
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const format = ExportFormat.safeParse(query.get('format') ?? 'html');
    if (!format.success) {
      sendJson(res, 400, { detail: `Invalid format: ${describeIssues(format.error.issues)}` });
      return;
    }
    const key = LinkKey.optional().safeParse(query.get('key') ?? undefined);
    if (!key.success) {
      sendJson(res, 404, { detail: errorCatalogue.DocumentNotFound.message });
      return;
    }
    const { access } = services;
    const download = access.authenticate(req, undefined).pipe(
      Effect.tap((principal) => access.require(principal, id.data, key.data, 'viewer')),
      Effect.andThen(exportFile(services, id.data, format.data)),
    );
    void services.settle(download, { route: 'export', docId: id.data }).then((outcome) => {
      if (!outcome.ok) {
        const status = outcome.error ? errorCatalogue[outcome.error._tag].status : 500;
        sendJson(res, status, { detail: outcome.error?.message ?? errorCatalogue.Internal.message });
        return;
      }
      const file = outcome.value;
      res.writeHead(200, {
        'content-type': file.contentType,
        'content-length': file.body.length,
        'content-disposition': `attachment; filename="${file.fileName}"`,
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    });
  };
}
