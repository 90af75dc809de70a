import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once against a service's schema; throws every problem at once. A
 * variable set to the empty string counts as unset, as shells and compose files often leave them.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
  );
}

/** Shared pieces of config schemas. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
/** A DNS name or an IPv4/IPv6 address, as certificates and endpoints need. */
export const hostName = z
  .string()
  .regex(
    /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*|(?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/,
    'a host name or IP address',
  )
  .refine((value) => !/^[\d.]+$/.test(value) || /^(?:\d{1,3}\.){3}\d{1,3}$/.test(value), 'an IPv4 address has four parts');

export const commaList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

export const hostNameList = commaList.pipe(z.array(hostName));
