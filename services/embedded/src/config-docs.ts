import { z } from 'zod';
import { AnalyticsConfig } from '@citus/analytics';
import { AppRegistryConfig } from '@citus/app-registry';
import { DeviceLifecycleConfig } from '@citus/device-lifecycle';
import { IndexerConfig } from '@citus/indexer';
import { IotHubConfig } from '@citus/iot-hub';
import { PortalConfig } from '@citus/portal';
import { EmbeddedConfig } from './config.js';

/**
 * The schemas `loadConfig` parses, by the name of the part that reads them (a test checks that it
 * parses exactly these). Their order is the table's: the listeners first, then the device plane.
 */
export const CONFIG_SCHEMAS = {
  embedded: EmbeddedConfig,
  'iot-hub': IotHubConfig,
  'device-lifecycle': DeviceLifecycleConfig,
  portal: PortalConfig,
  indexer: IndexerConfig,
  'app-registry': AppRegistryConfig,
  analytics: AnalyticsConfig,
} as const;

export const CONFIG_START = '<!-- config:start -->';
export const CONFIG_END = '<!-- config:end -->';

export interface ConfigVariable {
  name: string;
  /** The value used when the variable is unset; undefined when there is none. */
  fallback?: string;
  description: string;
  readBy: string[];
}

type EnvSchema = z.ZodObject<z.ZodRawShape>;

/** The value a field takes when its variable is unset, through the wrappers zod puts around it. */
function fallbackOf(field: z.core.$ZodType): unknown {
  if (field instanceof z.ZodDefault) return field.def.defaultValue;
  if (field instanceof z.ZodPipe) return fallbackOf(field.def.in);
  return undefined;
}

function variableOf(name: string, field: z.ZodType, reader: string): ConfigVariable {
  const description = field.description?.trim();
  // `.describe` must be the field's last call: zod keeps a description on the instance it was set
  // on, and a later `.optional()` or `.default()` returns one without it.
  if (!description) throw new Error(`${name} (${reader}) has no description: end its schema with .describe('…')`);
  const fallback = fallbackOf(field);
  return { name, description, readBy: [reader], ...(fallback === undefined ? {} : { fallback: String(fallback) }) };
}

/**
 * Every variable the schemas read, once each, in the order of first reading. A variable read by
 * several parts must carry the same description in each, or this throws.
 */
export function collectConfigVariables(schemas: Record<string, EnvSchema> = CONFIG_SCHEMAS): ConfigVariable[] {
  const variables = new Map<string, ConfigVariable>();
  const problems: string[] = [];
  for (const [reader, schema] of Object.entries(schemas)) {
    for (const [name, field] of Object.entries(schema.shape)) {
      const variable = variableOf(name, field as z.ZodType, reader);
      const seen = variables.get(name);
      if (!seen) variables.set(name, variable);
      else if (seen.description !== variable.description || seen.fallback !== variable.fallback) {
        problems.push(`${name}: ${seen.readBy.join(', ')} and ${reader} describe it differently`);
      } else seen.readBy.push(reader);
    }
  }
  if (problems.length > 0) throw new Error(`config schemas disagree:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  return [...variables.values()];
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (text: string): string => (text === '' ? '' : `\`${text}\``);

/** The Markdown table of the variables, with its markers, as README.md holds it. */
export function renderConfigTable(variables: ConfigVariable[] = collectConfigVariables()): string {
  const rows = variables.map(
    (variable) =>
      `| \`${variable.name}\` | ${cell(code(variable.fallback ?? ''))} | ${variable.readBy.join(', ')} | ${cell(variable.description)} |`,
  );
  return [CONFIG_START, '| variable | default | read by | meaning |', '|---|---|---|---|', ...rows, CONFIG_END].join('\n');
}

/** `readme` with its region between the markers replaced by `table`; throws when the markers are missing. */
export function replaceConfigRegion(readme: string, table: string): string {
  const start = readme.indexOf(CONFIG_START);
  const end = readme.indexOf(CONFIG_END, start);
  if (start < 0 || end < 0) throw new Error(`README.md has no ${CONFIG_START} … ${CONFIG_END} region`);
  return readme.slice(0, start) + table + readme.slice(end + CONFIG_END.length);
}
