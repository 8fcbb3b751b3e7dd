import { type KeyValueStore, readJson, writeJson } from './local-store';

/** Who this browser's user is to collaborators: asked once, remembered locally (there are no accounts). */
export interface Identity {
  readonly name: string;
  /** `#rrggbb`, used for the user's cursor, selection and avatar. */
  readonly color: string;
}

export const IDENTITY_KEY = 'collab:identity';
export const MAX_NAME_LENGTH = 64;

/** Distinct colours that carry white text (cursor labels, avatars) at a readable contrast. */
export const PALETTE = [
  '#1a73e8',
  '#d93025',
  '#188038',
  '#9334e6',
  '#b06000',
  '#007b83',
  '#3949ab',
  '#c2185b',
  '#795548',
  '#5f6368',
] as const;

const ADJECTIVES = [
  'Curious',
  'Brave',
  'Calm',
  'Clever',
  'Gentle',
  'Happy',
  'Keen',
  'Lucky',
  'Quiet',
  'Swift',
  'Witty',
  'Bright',
];
const ANIMALS = [
  'Otter',
  'Fox',
  'Heron',
  'Panda',
  'Lynx',
  'Koala',
  'Falcon',
  'Badger',
  'Dolphin',
  'Owl',
  'Robin',
  'Tiger',
];

type Random = () => number;

function pick<T>(items: readonly T[], random: Random): T {
  const item = items[Math.floor(random() * items.length) % items.length];
  if (item === undefined) throw new Error('cannot pick from an empty list');
  return item;
}

/** A friendly placeholder name offered when someone first opens a document. */
export function suggestName(random: Random = Math.random): string {
  return `${pick(ADJECTIVES, random)} ${pick(ANIMALS, random)}`;
}

export function pickColor(random: Random = Math.random): string {
  return pick(PALETTE, random);
}

/** Cleans a typed name (trimmed, inner whitespace collapsed, at most 64 characters); undefined when empty. */
export function normalizeName(input: string): string | undefined {
  const name = input.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_LENGTH).trim();
  return name === '' ? undefined : name;
}

export function isColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value);
}

/** The remembered identity, or undefined when this browser has not been asked yet. */
export function loadIdentity(store: KeyValueStore | undefined): Identity | undefined {
  const value = readJson(store, IDENTITY_KEY);
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, color } = value as Record<string, unknown>;
  const cleanName = typeof name === 'string' ? normalizeName(name) : undefined;
  if (!cleanName || !isColor(color)) return undefined;
  return { name: cleanName, color: color.toLowerCase() };
}

export function saveIdentity(store: KeyValueStore | undefined, identity: Identity): void {
  writeJson(store, IDENTITY_KEY, identity);
}

/** One or two letters for an avatar: the initials of the first and last words. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = words[0];
  if (!first) return '?';
  const last = words.length > 1 ? words[words.length - 1] : undefined;
  const letters = [...first].slice(0, 1).concat(last ? [...last].slice(0, 1) : []);
  return letters.join('').toLocaleUpperCase();
}

/** Relative luminance of a `#rrggbb` colour (WCAG 2). */
export function luminance(hex: string): number {
  const channel = (offset: number) => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const DARK_TEXT = '#1f1f1f';
const LIGHT_TEXT = '#ffffff';

/**
 * The text colour to put on a background of a collaborator's colour. Colours come from other
 * clients too (any `#rrggbb`), so a pale one gets dark text instead of unreadable white.
 */
export function textColorOn(background: string): string {
  if (!isColor(background)) return LIGHT_TEXT;
  return contrastRatio(background, LIGHT_TEXT) >= contrastRatio(background, DARK_TEXT)
    ? LIGHT_TEXT
    : DARK_TEXT;
}
