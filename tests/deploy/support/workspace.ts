/** The pnpm workspace's packages and the workspace dependencies between them. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../support/repo.js';

export interface WorkspacePackage {
  name: string;
  /** Directory relative to the repository root, `/`-separated. */
  dir: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

interface Manifest {
  name?: string;
  packageManager?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function rootManifest(): Manifest {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;
}

export function workspacePackages(): Map<string, WorkspacePackage> {
  const workspace = parse(readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8')) as {
    packages: string[];
  };
  const dirs: string[] = [];
  for (const pattern of workspace.packages) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(repoRoot, parent))) continue;
      for (const entry of readdirSync(join(repoRoot, parent), { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
      }
    } else {
      dirs.push(pattern);
    }
  }
  const packages = new Map<string, WorkspacePackage>();
  for (const dir of dirs) {
    const file = join(repoRoot, dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (!manifest.name) continue;
    packages.set(manifest.name, {
      name: manifest.name,
      dir,
      dependencies: manifest.dependencies ?? {},
      devDependencies: manifest.devDependencies ?? {},
    });
  }
  return packages;
}

/**
 * The workspace packages `name` needs, itself included. With `dev`, also the devDependencies of
 * every package reached (what `pnpm --filter name...` installs and builds); without, only what
 * runs in production.
 */
export function workspaceClosure(name: string, options: { dev: boolean }): WorkspacePackage[] {
  const packages = workspacePackages();
  const seen = new Map<string, WorkspacePackage>();
  const visit = (current: string) => {
    const pkg = packages.get(current);
    if (!pkg || seen.has(current)) return;
    seen.set(current, pkg);
    const deps = options.dev ? { ...pkg.dependencies, ...pkg.devDependencies } : pkg.dependencies;
    for (const [dep, spec] of Object.entries(deps)) {
      if (spec.startsWith('workspace:')) visit(dep);
    }
  };
  visit(name);
  return [...seen.values()];
}
