import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '@citus/kit';
import {
  collectConfigVariables,
  CONFIG_END,
  CONFIG_SCHEMAS,
  CONFIG_START,
  renderConfigTable,
  replaceConfigRegion,
} from '../src/config-docs.js';
import { loadConfig } from '../src/platform.js';

const README = join(import.meta.dirname, '../../../README.md');

describe('the configuration table in README.md', () => {
  it('is what the config schemas generate (npm run docs:config writes it)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain(CONFIG_START);
    const region = readme.slice(readme.indexOf(CONFIG_START), readme.indexOf(CONFIG_END) + CONFIG_END.length);
    expect(region).toBe(renderConfigTable());
  });

  it('is generated from the schemas loadConfig parses', () => {
    const loaded = Object.values(loadConfig({}));
    const parsed = Object.values(CONFIG_SCHEMAS).map((schema) => parseConfig(schema, {}));
    expect(loaded).toHaveLength(parsed.length);
    expect(loaded).toEqual(expect.arrayContaining(parsed));
  });

  it('has one row per variable, with a description, naming every part that reads it', () => {
    const variables = collectConfigVariables();
    const read = Object.values(CONFIG_SCHEMAS).flatMap((schema) => Object.keys(schema.shape));
    expect(variables.map((variable) => variable.name).sort()).toEqual([...new Set(read)].sort());
    for (const variable of variables) expect(variable.description.length).toBeGreaterThan(0);
    const telemetryStore = variables.find((variable) => variable.name === 'CITUS_TELEMETRY_STORE');
    expect(telemetryStore).toMatchObject({ fallback: 'sqlite', readBy: ['iot-hub', 'indexer', 'analytics'] });
  });
});

describe('collectConfigVariables', () => {
  const described = z.string().default('a').describe('the a');

  it('fails on a variable without a description, as on one described before .default()', () => {
    expect(() => collectConfigVariables({ one: z.object({ A: z.string().optional() }) })).toThrow('A (one) has no description');
    expect(() => collectConfigVariables({ one: z.object({ A: z.string().describe('the a').default('a') }) })).toThrow(
      'A (one) has no description',
    );
  });

  it('fails when two parts describe one variable differently, naming both', () => {
    const other = z.object({ A: z.string().default('a').describe('another a') });
    expect(() => collectConfigVariables({ one: z.object({ A: described }), two: other })).toThrow(
      'A: one and two describe it differently',
    );
    const otherDefault = z.object({ A: z.string().default('b').describe('the a') });
    expect(() => collectConfigVariables({ one: z.object({ A: described }), two: otherDefault })).toThrow(
      'A: one and two describe it differently',
    );
  });

  it('reads defaults through transforms and pipes, and none for optional variables', () => {
    const list = z.string().default('x,y').transform((value) => value.split(',')).pipe(z.array(z.string()));
    const schema = z.object({ LIST: list.describe('a list'), OFF: z.coerce.number().optional().describe('off when unset') });
    expect(collectConfigVariables({ one: schema, two: z.object({ LIST: list.describe('a list') }) })).toEqual([
      { name: 'LIST', fallback: 'x,y', description: 'a list', readBy: ['one', 'two'] },
      { name: 'OFF', description: 'off when unset', readBy: ['one'] },
    ]);
  });
});

describe('renderConfigTable and replaceConfigRegion', () => {
  it('escapes pipes in cells and replaces only the region between the markers', () => {
    const table = renderConfigTable([{ name: 'A', fallback: 'x|y', description: 'one | two', readBy: ['one'] }]);
    expect(table).toContain('| `A` | `x\\|y` | one | one \\| two |');
    const readme = `# Title\n\nprose\n\n${CONFIG_START}\nold\n${CONFIG_END}\n\nmore prose\n`;
    expect(replaceConfigRegion(readme, table)).toBe(`# Title\n\nprose\n\n${table}\n\nmore prose\n`);
  });

  it('refuses a README without the markers', () => {
    expect(() => replaceConfigRegion('# Title\n', 'table')).toThrow('no <!-- config:start -->');
  });
});
