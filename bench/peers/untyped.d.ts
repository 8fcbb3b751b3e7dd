/** The little of ShareDB 7 and rich-text 4 (which ship no types) that the benchmark's peer server uses. */
declare module 'sharedb' {
  import type { Duplex } from 'node:stream';

  interface ShareDbDoc {
    create(data: unknown, type: string, callback: (error?: Error) => void): void;
  }
  class ShareDB {
    static types: { register(type: unknown): void };
    listen(stream: Duplex): void;
    connect(): { get(collection: string, id: string): ShareDbDoc };
  }
  export default ShareDB;
}

declare module 'rich-text' {
  const richText: { type: { uri: string } };
  export default richText;
}
