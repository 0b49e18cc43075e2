import { readFileSync } from 'node:fs';

/** The package version, read from package.json next to the build. */
export const version: string = (() => {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout (dist/cli or the source tree)
    }
  }
  return 'unknown';
})();
