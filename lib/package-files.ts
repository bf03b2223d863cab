import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A file or folder shipped at the package root (config/, ml/): one level above lib/ and
 * constructs/ in the sources, two above dist/lib/ and dist/constructs/ once built.
 */
export function packageFile(...segments: string[]): string {
  const inSources = resolve(__dirname, '..', ...segments);
  const whenBuilt = resolve(__dirname, '..', '..', ...segments);
  return existsSync(inSources) || !existsSync(whenBuilt) ? inSources : whenBuilt;
}
