import { z } from 'zod';
import { commaList, ConfigError, logLevel, parseConfig, port } from '../src/config.js';

const Schema = z.object({
  PORT: port(8080),
  LOG_LEVEL: logLevel,
  PUBLIC_URL: z.url(),
  HOSTNAMES: commaList,
});

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseConfig(Schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('applies the defaults of the shared pieces', () => {
    expect(parseConfig(Schema, { PUBLIC_URL: 'https://iot.example' })).toEqual({
      PORT: 8080,
      LOG_LEVEL: 'info',
      PUBLIC_URL: 'https://iot.example',
      HOSTNAMES: [],
    });
  });

  it('coerces and splits values from the environment', () => {
    const config = parseConfig(Schema, {
      PORT: '9000',
      LOG_LEVEL: 'debug',
      PUBLIC_URL: 'https://iot.example',
      HOSTNAMES: ' hub.local, ,10.0.0.2 ',
    });
    expect(config).toMatchObject({ PORT: 9000, LOG_LEVEL: 'debug', HOSTNAMES: ['hub.local', '10.0.0.2'] });
  });

  it('collects every problem at once, each naming its variable', () => {
    const problems = problemsOf({ PORT: '70000', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^LOG_LEVEL: /),
        expect.stringMatching(/^PUBLIC_URL: /),
      ]),
    );
  });

  it('lists the problems in the error message, one a line', () => {
    expect(() => parseConfig(Schema, { PORT: 'eighty' })).toThrow(/invalid configuration:\n {2}- PORT: .*\n {2}- PUBLIC_URL: /);
  });

  it.each(['-1', '1.5', 'abc'])('refuses PORT=%s', (value) => {
    expect(problemsOf({ PORT: value, PUBLIC_URL: 'https://iot.example' })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it('names a problem of the whole env "(env)"', () => {
    const Refined = z.object({ A: z.string().optional() }).refine((env) => env.A !== undefined, 'A is needed');
    expect(() => parseConfig(Refined, {})).toThrow(expect.objectContaining({ problems: ['(env): A is needed'] }));
  });

  // `PORT=` (set but empty, common in .env and compose files) must not become port 0 through
  // z.coerce.number(), which would silently bind a random port.
  it('counts a variable set to the empty string as unset', () => {
    expect(parseConfig(Schema, { PORT: '', LOG_LEVEL: '', PUBLIC_URL: 'https://iot.example' })).toMatchObject({
      PORT: 8080,
      LOG_LEVEL: 'info',
    });
    expect(problemsOf({ PUBLIC_URL: '' })).toEqual([expect.stringMatching(/^PUBLIC_URL: /)]);
  });
});
