import { type AttributeMap, Delta, type Op } from './delta.js';

/**
 * Most characters the differing middle of two documents may have, on either side, for a character diff.
 * `Delta.diff` costs about the product of the two middles' lengths when they differ throughout (two
 * unrelated 10,000-character texts take a second): past this, the middle is replaced whole.
 */
export const maxDiffMiddle = 2_000;

/**
 * [L1] A change turning document `from` into document `to`, at a cost bounded by the documents' length:
 * the text and formats both documents share at their start and end are kept, and the middle between is
 * compared character by character (`Delta.diff`) when it is at most `maxMiddle` long on both sides, or
 * else deleted and inserted whole. The result is always exact; only its granularity depends on the bound.
 */
export function diffDocuments(from: Delta, to: Delta, maxMiddle = maxDiffMiddle): Delta {
  const fromLength = from.length();
  const toLength = to.length();
  const prefix = commonPrefix(from.ops, to.ops);
  const suffix = commonSuffix(from.ops, to.ops, Math.min(fromLength, toLength) - prefix);
  const removed = fromLength - prefix - suffix;
  const added = toLength - prefix - suffix;
  if (removed <= maxMiddle && added <= maxMiddle) return from.diff(to);
  return new Delta()
    .retain(prefix)
    .delete(removed)
    .concat(to.slice(prefix, toLength - suffix));
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Positions at the start of both documents with the same characters, embeds and formats. */
function commonPrefix(a: readonly Op[], b: readonly Op[]): number {
  let length = 0;
  let i = 0;
  let j = 0;
  let offsetA = 0;
  let offsetB = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Op;
    const y = b[j] as Op;
    if (!sameAttributes(x.attributes, y.attributes)) break;
    if (typeof x.insert === 'string' && typeof y.insert === 'string') {
      const limit = Math.min(x.insert.length - offsetA, y.insert.length - offsetB);
      let k = 0;
      while (k < limit && x.insert.charCodeAt(offsetA + k) === y.insert.charCodeAt(offsetB + k)) k++;
      length += k;
      offsetA += k;
      offsetB += k;
      if (k < limit) {
        // Never keep half of a surrogate pair: the change would insert a lone surrogate.
        if (k > 0 && isHighSurrogate(x.insert.charCodeAt(offsetA - 1))) length--;
        break;
      }
    } else if (sameEmbed(x.insert, y.insert)) {
      length++;
      offsetA = 1;
      offsetB = 1;
    } else break;
    if (offsetA === opLength(x)) [i, offsetA] = [i + 1, 0];
    if (offsetB === opLength(y)) [j, offsetB] = [j + 1, 0];
  }
  return length;
}

/** Positions at the end of both documents with the same characters, embeds and formats, at most `max`. */
function commonSuffix(a: readonly Op[], b: readonly Op[], max: number): number {
  let length = 0;
  let i = a.length - 1;
  let j = b.length - 1;
  // How much of ops i and j is still to compare, from their start.
  let restA = i >= 0 ? opLength(a[i] as Op) : 0;
  let restB = j >= 0 ? opLength(b[j] as Op) : 0;
  while (i >= 0 && j >= 0 && length < max) {
    const x = a[i] as Op;
    const y = b[j] as Op;
    if (!sameAttributes(x.attributes, y.attributes)) break;
    if (typeof x.insert === 'string' && typeof y.insert === 'string') {
      const limit = Math.min(restA, restB, max - length);
      let k = 0;
      while (k < limit && x.insert.charCodeAt(restA - 1 - k) === y.insert.charCodeAt(restB - 1 - k)) k++;
      length += k;
      restA -= k;
      restB -= k;
      if (k < limit || length === max) {
        if (k > 0 && isLowSurrogate(x.insert.charCodeAt(restA))) length--;
        break;
      }
    } else if (sameEmbed(x.insert, y.insert)) {
      length++;
      restA = 0;
      restB = 0;
    } else break;
    if (restA === 0) {
      i--;
      restA = i >= 0 ? opLength(a[i] as Op) : 0;
    }
    if (restB === 0) {
      j--;
      restB = j >= 0 ? opLength(b[j] as Op) : 0;
    }
  }
  return length;
}

const opLength = (op: Op) => (typeof op.insert === 'string' ? op.insert.length : 1);

function sameEmbed(x: Op['insert'], y: Op['insert']): boolean {
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((key) => x[key] === y[key]);
}

function sameAttributes(x: AttributeMap | undefined, y: AttributeMap | undefined): boolean {
  if (x === y) return true;
  const keysX = x === undefined ? [] : Object.keys(x);
  const keysY = y === undefined ? [] : Object.keys(y);
  return keysX.length === keysY.length && keysX.every((key) => x?.[key] === y?.[key]);
}
