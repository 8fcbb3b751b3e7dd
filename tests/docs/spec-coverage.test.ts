import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/repo.js';
import { type Citation, citationsIn, collectCitations, parseSpecRules } from './spec.js';

const specFile = join(repoRoot, 'docs/SPEC.md');
const rules = parseSpecRules(readFileSync(specFile, 'utf8'));
const citations = collectCitations(repoRoot, ['apps', 'packages', 'tests', 'bench']);
const where = (c: Citation) => `${c.file}:${c.line}`;

describe('[O3] docs/SPEC.md and the tests that cite it', () => {
  it('[O3] defines each rule once', () => {
    const seen = new Map<string, number>();
    const twice = rules.filter((rule) => {
      const first = seen.get(rule.id);
      seen.set(rule.id, rule.line);
      return first !== undefined;
    });
    expect(twice.map((rule) => `${rule.id} (line ${rule.line})`)).toEqual([]);
    expect(rules.length).toBeGreaterThan(0);
  });

  it('[O3] every rule that is built is cited by a test', () => {
    const cited = new Set(citations.ids.map((c) => c.id));
    const uncited = rules.filter((rule) => !rule.planned && !cited.has(rule.id)).map((rule) => rule.id);
    const planned = rules.filter((rule) => rule.planned);
    console.info(
      `rules not built yet (marked planned in docs/SPEC.md): ${planned.map((r) => r.id).join(', ') || 'none'}`,
    );
    const citedPlanned = planned.filter((rule) => cited.has(rule.id)).map((rule) => rule.id);
    if (citedPlanned.length > 0) {
      console.info(
        `planned rules that tests already cite (drop the marker once built): ${citedPlanned.join(', ')}`,
      );
    }
    expect(uncited).toEqual([]);
  });

  it('[O3] every rule a test cites is in the spec', () => {
    const known = new Set(rules.map((rule) => rule.id));
    const unknown = citations.ids.filter((c) => !known.has(c.id)).map((c) => `${c.id} at ${where(c)}`);
    expect(unknown).toEqual([]);
  });

  it('[O3] no test cites a section instead of a rule', () => {
    expect(citations.sectionTags.map((c) => `${c.id} at ${where(c)}`)).toEqual([]);
  });

  it('[O3] the check reads titles, not comments, and sees section tags', () => {
    // Built from parts so that this file cites nothing itself.
    const tag = (id: string) => `[${id}]`;
    const source = [
      `// ${tag('Z1')} in a comment proves nothing`,
      `it('${tag('Z2')} ${tag('Z3')} a title', () => {});`,
      `describe(\`${tag('Z4')} a suite of \${name}\`, () => {});`,
      `it('${tag('§7')} a section tag', () => {});`,
    ].join('\n');
    const found = citationsIn(source, 'example.test.ts');
    expect(found.ids.map((c) => c.id)).toEqual(['Z2', 'Z3', 'Z4']);
    expect(found.sectionTags.map((c) => c.id)).toEqual([tag('§7')]);
    expect(
      parseSpecRules(
        `- ${tag('Z1')} built\n- ${tag('Z2')} (planned) not yet\n  - ${tag('Z3')} nested is prose\n`,
      ),
    ).toEqual([
      { id: 'Z1', planned: false, line: 1 },
      { id: 'Z2', planned: true, line: 2 },
    ]);
  });
});
