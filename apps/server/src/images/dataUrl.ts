/**
 * The bytes of a base64 `data:` URL (`data:<type>;base64,<data>`), or undefined when `value` is not one.
 * The declared type is ignored: what the bytes are is read from them.
 */
export function dataUrlBytes(value: string): Uint8Array | undefined {
  if (!value.startsWith('data:')) return undefined;
  const comma = value.indexOf(',');
  if (comma === -1 || !/;base64$/i.test(value.slice(0, comma))) return undefined;
  const data = value.slice(comma + 1);
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) return undefined;
  return new Uint8Array(Buffer.from(data, 'base64'));
}

/** Whether an embed value is a data URL (of any kind), which never reaches the op log [H4]. */
export function isDataUrl(value: unknown): value is string {
  return typeof value === 'string' && value.slice(0, 5).toLowerCase() === 'data:';
}
