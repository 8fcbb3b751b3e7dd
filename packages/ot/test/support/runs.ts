/**
 * How many cases a property test tries: `numRuns` as written, or a twentieth of it (at least 20) under
 * mutation testing, which runs the covering tests once per mutant; a mutant that survives so few cases
 * is still reported, and the full count runs in `npm test`.
 */
export function runs(numRuns: number): number {
  return process.env.MUTATION_RUN === '1' ? Math.max(20, Math.round(numRuns / 20)) : numRuns;
}
