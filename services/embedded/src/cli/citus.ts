#!/usr/bin/env node
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { backup } from './backup.command.js';
import { ManifestError } from './backup-manifest.js';
import { CommandError, UsageError } from './cli.errors.js';
import { restore } from './restore.command.js';

const USAGE = `citus: operate on a Citus IoT embedded data dir

usage:
  citus backup <target-dir> [--data-dir <dir>]
      copies the data dir into a new or empty <target-dir>; safe while the platform runs;
      symbolic links are followed, and anything else that is no file or dir is refused
  citus restore <backup-dir> [--data-dir <dir>] [--force]
      checks the backup and puts it in place of the data dir; the platform must be stopped.
      The copy is staged beside the data dir and renamed into place: its parent must be
      writable and the data dir no mount point (mount the volume one level up)

options:
  --data-dir <dir>  the platform's data dir (default CITUS_DATA_DIR, else ./data)
  --force           restore over a non-empty data dir, which is moved aside to
                    <data-dir>.before-restore-<time>, never deleted
  --help            this text

exit codes: 0 done, 1 refused or failed (the message says why), 2 wrong usage`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function codeVersion(): string {
  // dist/cli/citus.js and src/cli/citus.ts both sit two levels below the package root.
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return pkg.version;
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    // node:util's parseArgs reports an unknown option or a missing value as a TypeError.
    throw new UsageError((error as Error).message);
  }
}

function onePath(positionals: string[], what: string): string {
  const [path, ...extra] = positionals;
  if (!path) throw new UsageError(`${what} is required`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  return path;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const dataDir = values['data-dir'] ?? (process.env.CITUS_DATA_DIR || './data');
  switch (command) {
    case 'backup': {
      if (values.force) throw new UsageError('--force applies to restore only');
      const target = onePath(rest, 'the backup target dir');
      await backup({ dataDir, target, codeVersion: codeVersion(), progress });
      return 0;
    }
    case 'restore': {
      const backupDir = onePath(rest, 'the backup dir');
      // Loaded only here: it brings in the whole platform, which a backup does not need.
      const { schemaCatalogOfThisCode } = await import('./schema-catalog.js');
      await restore({ backupDir, dataDir, force: values.force ?? false, progress, schemaCatalog: schemaCatalogOfThisCode });
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`citus: ${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    const expected = error instanceof CommandError || error instanceof ManifestError;
    const message = error instanceof Error ? (expected ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`citus: ${message}\n`);
    process.exit(1);
  },
);
