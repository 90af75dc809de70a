import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

/** An integer option from 1 to `max`, `fallback` when not given; anything else is a usage error. */
export function positiveInt(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UsageError(`${name} must be an integer from 1 to ${max}, not "${raw}"`);
  return value;
}

type Flags<T extends NonNullable<ParseArgsConfig['options']>> = ReturnType<typeof parseArgs<{ args: string[]; strict: true; options: T }>>['values'];

/** The flags of a benchmark, strictly: an unknown flag or a missing value is a usage error. */
export function parseFlags<const T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T): Flags<T> {
  try {
    return parseArgs({ args, strict: true, options }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
