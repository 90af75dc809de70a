import { UsageError } from './usage-error.js';

/** An integer option from 1 to `max`, `fallback` when not given; anything else is a usage error. */
export function positiveInt(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UsageError(`${name} must be an integer from 1 to ${max}, not "${raw}"`);
  return value;
}
