import type { IncomingMessage, ServerResponse } from 'node:http';

/** The SvelteKit app built by adapter-node, as Connect-style middleware (`build/handler.js`). */
export declare const handler: (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;
