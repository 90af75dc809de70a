import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderKongYaml } from './kong-gateway.js';

/** `kong/kong.yml` at the repository's root, from `packages/contracts/dist`. */
const KONG_YML = fileURLToPath(new URL('../../../kong/kong.yml', import.meta.url));

function readCurrent(): string | undefined {
  try {
    return readFileSync(KONG_YML, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes kong/kong.yml; with `--check`, writes nothing and fails if the file differs from the route table. */
function main(args: string[]): number {
  const generated = renderKongYaml();
  if (args.includes('--check')) {
    if (readCurrent() === generated) {
      process.stdout.write('kong/kong.yml matches the route table\n');
      return 0;
    }
    process.stderr.write('kong/kong.yml differs from the route table: run npm run kong:generate and commit it\n');
    return 1;
  }
  mkdirSync(dirname(KONG_YML), { recursive: true });
  writeFileSync(KONG_YML, generated);
  process.stdout.write(`wrote ${KONG_YML}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
