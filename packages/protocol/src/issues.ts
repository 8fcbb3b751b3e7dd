/** A validation issue as zod reports it (only what the description needs). */
export interface Issue {
  readonly path?: readonly PropertyKey[];
  readonly message?: string;
  readonly code?: string;
  /** Zod's union issues: the issues of each branch that was tried. */
  readonly errors?: readonly (readonly Issue[])[];
}

/**
 * The most telling issue: for a union ("insert, retain or delete?") without its own message, the branch
 * that came closest (fewest issues), so the description says what is wrong, not only where.
 */
function explain(
  issue: Issue,
  prefix: readonly PropertyKey[] = [],
): { path: PropertyKey[]; message: string } {
  const path = [...prefix, ...(issue.path ?? [])];
  const generic = issue.message === undefined || issue.message === 'Invalid input';
  const branches =
    issue.code === 'invalid_union' && generic ? (issue.errors ?? []).filter((b) => b.length > 0) : [];
  if (branches.length > 0) {
    const closest = branches.reduce((best, branch) => (branch.length < best.length ? branch : best));
    const first = closest[0];
    if (first) return explain(first, path);
  }
  return { path, message: issue.message ?? 'invalid value' };
}

/** Validation problems as one readable line: `delta.ops.0.retain: expected number, received string`. */
export function describeIssues(issues: readonly Issue[]): string {
  const lines = issues.slice(0, 5).map((issue) => {
    const { path, message } = explain(issue);
    return path.length > 0 ? `${path.map(String).join('.')}: ${message}` : message;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `${lines.join('; ')}${more}`;
}
