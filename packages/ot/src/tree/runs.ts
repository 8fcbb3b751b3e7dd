import type { AttributeMap } from '../delta.js';

/**
 * A run is a piece of one canonical document op: up to `maxRunLength` characters of its text, or one
 * embed, with the op's formats. A long text op is held as several runs so that an edit inside it costs
 * a bounded amount of copying; adjacent text runs with the same formats are one op when serialised.
 */
export interface Run {
  readonly insert: string | Record<string, unknown>;
  /** Canonical formats: no null, keys sorted (see `canonicalAttributes`); undefined when plain. */
  readonly attributes: AttributeMap | undefined;
  /** The formats as canonical JSON ('' when plain): runs with equal keys have equal formats. */
  readonly key: string;
  readonly length: number;
  /** UTF-8 bytes of the insert in JSON (a string without its quotes). */
  readonly bytes: number;
  /** UTF-8 bytes the op adds around its insert in JSON: `{"insert":`, quotes, `,"attributes":{…}`, `}`. */
  readonly overhead: number;
}

/**
 * Most characters in one text run. Larger runs mean fewer tree nodes; smaller ones less copying when an
 * edit splits or joins a run.
 */
export const maxRunLength = 1024;

/** Formats with sorted keys and without null values, or undefined when none are left. */
export function canonicalAttributes(attributes: AttributeMap | undefined): AttributeMap | undefined {
  if (attributes === undefined) return undefined;
  if (isCanonicalAttributes(attributes)) return attributes;
  const keys = Object.keys(attributes)
    .filter((key) => attributes[key] != null)
    .sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((key) => [key, attributes[key]]));
}

/** Whether formats are in canonical form already (as documents and changes mostly are). */
export function isCanonicalAttributes(attributes: AttributeMap): boolean {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (attributes[key] == null) return false;
    if (i > 0 && (keys[i - 1] as string) >= key) return false;
  }
  return true;
}

/**
 * What formatting a run with `change` (a retain's attributes, null removing a format) leaves, as
 * `Delta.compose` computes it for an insert: the change's values win, the run's other formats stay.
 */
export function composeAttributes(
  attributes: AttributeMap | undefined,
  change: AttributeMap | undefined,
): AttributeMap | undefined {
  if (change === undefined) return attributes;
  return canonicalAttributes({ ...attributes, ...change });
}

/** Whether two runs are parts of one op when serialised: text with the same formats. */
export function joins(left: Run, right: Run): boolean {
  return typeof left.insert === 'string' && typeof right.insert === 'string' && left.key === right.key;
}

/** `attributes` must be canonical. */
export function makeRun(insert: string | Record<string, unknown>, attributes: AttributeMap | undefined): Run {
  const key = attributes === undefined ? '' : JSON.stringify(attributes);
  const formats = key === '' ? 0 : 14 + utf8Length(key); // `,"attributes":` + the map
  if (typeof insert === 'string') {
    return {
      insert,
      attributes,
      key,
      length: insert.length,
      bytes: jsonTextBytes(insert),
      overhead: 13 + formats,
    };
  }
  return {
    insert,
    attributes,
    key,
    length: 1,
    bytes: utf8Length(JSON.stringify(insert)),
    overhead: 11 + formats,
  };
}

/** The same formats on other text. */
function withText(run: Run, text: string): Run {
  return { ...run, insert: text, length: text.length, bytes: jsonTextBytes(text) };
}

/** Splits a text run at `offset` (0 < offset < length). */
export function splitRun(run: Run, offset: number): [Run, Run] {
  const text = run.insert as string;
  return [withText(run, text.slice(0, offset)), withText(run, text.slice(offset))];
}

/**
 * Appends `run` to `runs`, joined with the last one when they are one op and fit in one run. Two runs of
 * one op never split a surrogate pair between them, so that each run's JSON size adds up to the op's.
 */
export function appendRun(runs: Run[], run: Run): void {
  const previous = runs.at(-1);
  if (previous === undefined || !joins(previous, run)) {
    runs.push(run);
    return;
  }
  const left = previous.insert as string;
  const right = run.insert as string;
  if (left.length + right.length <= maxRunLength) {
    runs[runs.length - 1] = withText(run, left + right);
  } else if (splitsPair(left, right)) {
    // Move the high surrogate over, keeping the pair in one run.
    runs[runs.length - 1] = withText(run, left.slice(0, -1));
    runs.push(withText(run, left.slice(-1) + right));
  } else {
    runs.push(run);
  }
}

/** The runs holding an inserted string, each at most `maxRunLength` long, no surrogate pair cut. */
export function textRuns(text: string, attributes: AttributeMap | undefined): Run[] {
  const runs: Run[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxRunLength);
    if (end < text.length && splitsPair(text.slice(start, end), text.slice(end, end + 1))) end--;
    runs.push(makeRun(text.slice(start, end), attributes));
    start = end;
  }
  return runs;
}

function splitsPair(left: string, right: string): boolean {
  return isHighSurrogate(left.charCodeAt(left.length - 1)) && isLowSurrogate(right.charCodeAt(0));
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** UTF-8 bytes of `JSON.stringify(text)` without its two quotes (lone surrogates are escaped). */
function jsonTextBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x20)
      bytes += code === 8 || code === 9 || code === 10 || code === 12 || code === 13 ? 2 : 6;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else if (isHighSurrogate(code) || isLowSurrogate(code)) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}

/** UTF-8 bytes of well-formed text (JSON output, whose lone surrogates are escaped). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code)) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
