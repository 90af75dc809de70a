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

  // `PORT=` (set but empty, common in .env and compose files) is coerced by z.coerce.number() to 0,
  // which silently binds a random port instead of using the default or reporting a problem.
  it('does not turn an empty PORT into port 0', () => {
    let value: number | undefined;
    try {
      value = parseConfig(Schema, { PORT: '', PUBLIC_URL: 'https://iot.example' }).PORT;
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
    }
    expect(value).not.toBe(0);
  });
});
