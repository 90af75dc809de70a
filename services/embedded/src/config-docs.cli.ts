import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigTable, replaceConfigRegion } from './config-docs.js';

/** README.md at the repository's root, from `services/embedded/dist`. */
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** Writes the configuration table into README.md; with `--check`, writes nothing and fails if it differs. */
function main(args: string[]): number {
  const current = readFileSync(README, 'utf8');
  const generated = replaceConfigRegion(current, renderConfigTable());
  if (args.includes('--check')) {
    if (generated === current) {
      process.stdout.write('README.md configuration table matches the config schemas\n');
      return 0;
    }
    process.stderr.write('README.md configuration table differs from the config schemas: run npm run docs:config and commit it\n');
    return 1;
  }
  writeFileSync(README, generated);
  process.stdout.write(`wrote the configuration table in ${README}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
