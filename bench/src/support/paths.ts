import { fileURLToPath } from 'node:url';

// This file is compiled to bench/dist/support/paths.js: the repo root is three levels up.
const ROOT_URL = new URL('../../../', import.meta.url);

/** An absolute path inside the repository, from its root. */
export function repoPath(...segments: string[]): string {
  return fileURLToPath(new URL(segments.join('/'), ROOT_URL));
}
