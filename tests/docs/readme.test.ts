import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChangesEvent,
  DocumentSnapshot,
  errorCatalogue,
  GetOrCreateOutput,
  HistoryOutput,
  limitDefaults,
  limitEnvNames,
  SubmitOutput,
  UpdateOutput,
} from '@collab/protocol';
import { BoundsEnv, EnvSchema } from '@collab/server/config';
import { appRouter } from '@collab/server/router';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/repo.js';
import { codeSpans, tableAfter, topLevelFields } from './readme.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The part of a zod schema these checks use. */
interface Schema {
  parse(value: unknown): unknown;
  safeParse(value: unknown): { success: boolean };
}
interface ObjectSchema extends Schema {
  readonly shape: Record<string, Schema>;
}

/** Every variable the server reads: its own schema plus the limits shared with the protocol package. */
function codeDefaults(): Map<string, unknown> {
  const defaults = new Map<string, unknown>();
  for (const [name, schema] of Object.entries({ ...EnvSchema.shape, ...BoundsEnv.shape })) {
    const value = (schema as Schema).parse(undefined);
    // An empty list is written as "–", like an unset value.
    defaults.set(name, Array.isArray(value) && value.length === 0 ? undefined : value);
  }
  for (const [key, name] of Object.entries(limitEnvNames)) {
    defaults.set(name, limitDefaults[key as keyof typeof limitDefaults]);
  }
  return defaults;
}

/** A default as the README writes it: `8000`, `false`, `–` for none, or `10 MiB`. */
function readmeDefault(text: string): unknown {
  const value = text.trim();
  if (value === '–') return undefined;
  const mib = /^(\d+) MiB$/.exec(value);
  if (mib) return Number(mib[1]) * 1024 * 1024;
  const code = /^`(.*)`$/.exec(value)?.[1];
  if (code === undefined) throw new Error(`cannot read the default "${value}"`);
  if (code === 'true' || code === 'false') return code === 'true';
  return /^\d+$/.test(code) ? Number(code) : code;
}

describe('[E2] the README matches the code', () => {
  it('[E2] the configuration table lists every variable the server reads, with its default', () => {
    const documented = new Map<string, unknown>();
    for (const [variables = '', defaults = ''] of tableAfter(readme, '## Configuration')) {
      const names = codeSpans(variables);
      const values = defaults.split(/,\s*/);
      expect(values, `defaults of ${names.join(', ')}`).toHaveLength(names.length);
      for (const [i, name] of names.entries()) documented.set(name, readmeDefault(values[i] ?? ''));
    }
    const code = codeDefaults();
    expect([...documented.keys()].sort()).toEqual([...code.keys()].sort());
    for (const [name, value] of code) expect(documented.get(name), name).toEqual(value);
  });

  it('[E2] the error table lists every tag of the catalogue with its tRPC code and HTTP status', () => {
    const rows = tableAfter(readme, '### Errors').map(([tag = '', code = '', status = '']) => [
      codeSpans(tag)[0],
      codeSpans(code)[0],
      Number(status),
    ]);
    const catalogue = Object.entries(errorCatalogue).map(([tag, entry]) => [tag, entry.code, entry.status]);
    expect(rows).toEqual(catalogue);
  });

  it('[E2] the API table lists every procedure with its kind, input fields and output fields', () => {
    const outputs: Record<string, ObjectSchema> = {
      'documents.get': DocumentSnapshot,
      'documents.getOrCreate': GetOrCreateOutput,
      'documents.create': DocumentSnapshot,
      'documents.update': UpdateOutput,
      'documents.submit': SubmitOutput,
      'documents.changes': ChangesEvent,
      'documents.history': HistoryOutput,
    };
    const documented = new Map(
      tableAfter(readme, '## Public API').map(([name = '', kind = '', io = '']) => {
        const [input = '', output = ''] = codeSpans(io);
        return [
          codeSpans(name)[0] ?? '',
          { kind, input: topLevelFields(input), output: topLevelFields(output) },
        ];
      }),
    );
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { type: string; inputs: ObjectSchema[] } }
    >;
    expect([...documented.keys()].sort()).toEqual(Object.keys(procedures).sort());
    for (const [path, procedure] of Object.entries(procedures)) {
      const row = documented.get(path);
      expect(row?.kind, path).toBe(procedure._def.type);
      const shape = procedure._def.inputs[0]?.shape ?? {};
      // The share link `key` every document procedure takes is documented once, under the table [A2].
      const inputFields = Object.entries(shape)
        .filter(([name]) => name !== 'key')
        .map(([name, field]) => (field.safeParse(undefined).success ? `${name}?` : name));
      expect(row?.input, `${path} input`).toEqual(inputFields);
      const output = outputs[path];
      if (output) expect(row?.output, `${path} output`).toEqual(Object.keys(output.shape));
    }
  });
});
