import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The package root: two levels above constructs/private/ in the sources, three once built to dist/. */
const PACKAGE_ROOT = [resolve(__dirname, '..', '..'), resolve(__dirname, '..', '..', '..')].find((dir) => existsSync(join(dir, 'package.json'))) ?? resolve(__dirname, '..', '..');

/** A file or folder shipped at the package root, such as config/ or ml/. */
export function packageFile(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}
