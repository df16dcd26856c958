/**
 * The installed package's folder (package.json, static/), found by package name rather than
 * relative to this file: `coord` runs from a bundle (bundle/) as well as from dist/.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = dirname(fileURLToPath(import.meta.resolve('@sweep-runner/coordinator/package.json')));

export function packageFile(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
