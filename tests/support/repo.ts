import { fileURLToPath } from 'node:url';

/** The repository root, computed from this file so the suites run from any clone. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
