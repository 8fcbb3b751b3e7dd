import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One rule of docs/SPEC.md: a list item starting with its bracketed ID, marked "(planned)" while not built yet. */
export interface SpecRule {
  readonly id: string;
  readonly planned: boolean;
  readonly line: number;
}

const ruleLine = /^- \[([A-Z]{1,2}\d+)\](?: \((planned)\))?\s/;

export function parseSpecRules(markdown: string): SpecRule[] {
  return markdown.split('\n').flatMap((text, index) => {
    const match = ruleLine.exec(text);
    return match?.[1] ? [{ id: match[1], planned: match[2] === 'planned', line: index + 1 }] : [];
  });
}

/** A rule ID cited in a test title. */
export interface Citation {
  readonly id: string;
  readonly file: string;
  readonly line: number;
}

const skippedDirs = new Set(['node_modules', 'dist', 'build', '.svelte-kit', 'artifacts', 'data']);

/** Test files, and files in test folders (an exported suite such as the storage contract holds titles too). */
export function testSourceFiles(root: string, dirs: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string, inTestFolder: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skippedDirs.has(entry.name) && !entry.name.startsWith('.'))
          walk(path, inTestFolder || entry.name === 'test' || entry.name === 'tests');
      } else if (/\.test\.ts$/.test(entry.name) || (inTestFolder && /\.ts$/.test(entry.name))) {
        files.push(path);
      }
    }
  };
  for (const dir of dirs) walk(join(root, dir), dir === 'tests');
  return files.sort();
}

// Only string literals count (test and suite titles), so an ID in a comment proves nothing.
const stringLiteral = /(['"`])((?:\\.|(?!\1)[^\\\n])*)\1/g;
const citedId = /\[([A-Z]{1,2}\d+)\]/g;
/** Tags that point at a section (a section sign in brackets) instead of a rule. */
const sectionTag = /\[§[^\]]*\]/g;

export function citationsIn(source: string, file: string): { ids: Citation[]; sectionTags: Citation[] } {
  const ids: Citation[] = [];
  const sectionTags: Citation[] = [];
  source.split('\n').forEach((text, index) => {
    for (const literal of text.matchAll(stringLiteral)) {
      const body = literal[2] ?? '';
      for (const m of body.matchAll(citedId)) ids.push({ id: m[1] ?? '', file, line: index + 1 });
      for (const m of body.matchAll(sectionTag)) sectionTags.push({ id: m[0], file, line: index + 1 });
    }
  });
  return { ids, sectionTags };
}

export function collectCitations(root: string, dirs: readonly string[]) {
  const ids: Citation[] = [];
  const sectionTags: Citation[] = [];
  for (const path of testSourceFiles(root, dirs)) {
    const found = citationsIn(readFileSync(path, 'utf8'), relative(root, path));
    ids.push(...found.ids);
    sectionTags.push(...found.sectionTags);
  }
  return { ids, sectionTags };
}
