import { compileStatement, NOT_JSON, type RuleMessage, type RuleResult } from '../src/domain/rules/sql/index.js';

/** A message on `topic` whose bytes are the JSON of `json` (or two non-JSON bytes for NOT_JSON). */
function message(json: unknown, overrides: Partial<RuleMessage> = {}): RuleMessage {
  const payload = json === NOT_JSON ? Buffer.from([0xde, 0xad]) : Buffer.from(JSON.stringify(json));
  return { topic: 'things/lamp-1/telemetry', payload, json, clientId: 'lamp-1', principal: 'cert-abc', timestamp: 1_700_000_000_000, ...overrides };
}

const run = (sql: string, json: unknown, overrides: Partial<RuleMessage> = {}): RuleResult => compileStatement(sql).evaluate(message(json, overrides));
const matched = (value: Record<string, unknown>): RuleResult => ({ matched: true, value });
const NO_MATCH: RuleResult = { matched: false };

/** The value of one expression, `SELECT <expression> AS r`; Undefined when the key is left out. */
function valueOf(expression: string, json: unknown = {}): unknown {
  const result = run(`SELECT ${expression} AS r FROM 'a/b'`, json);
  if (!result.matched || !('value' in result)) throw new Error('expected an object result');
  return Object.hasOwn(result.value, 'r') ? result.value.r : undefined;
}

const COLOR = { color: 'red', temperature: 50 };

describe("AWS's documented examples", () => {
  it.each<[string, string, unknown, RuleResult]>([
    // SELECT clause page (iot-sql-select.html)
    ['select all', "SELECT * FROM 'a/b'", COLOR, matched(COLOR)],
    ['one field', "SELECT color FROM 'a/b'", COLOR, matched({ color: 'red' })],
    ['an alias', "SELECT color AS my_color FROM 'a/b'", COLOR, matched({ my_color: 'red' })],
    ['two aliases', "SELECT color as my_color, temperature as fahrenheit FROM 'a/b'", COLOR, matched({ my_color: 'red', fahrenheit: 50 })],
    ['* plus an item', "SELECT *, 15 as speed FROM 'a/b'", COLOR, matched({ color: 'red', temperature: 50, speed: 15 })],
    ['a nested field', "SELECT color.red as red_value FROM 'a/b'", { color: { red: 255, green: 0, blue: 0 }, temperature: 50 }, matched({ red_value: 255 })],
    ['arithmetic and a function', "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'a/b'", COLOR, matched({ celsius: 10, my_color: 'RED' })],
    // WHERE clause page (iot-sql-where.html)
    ['a WHERE that fails', "SELECT color AS my_color FROM 'a/b' WHERE temperature > 50 AND color <> 'red'", { color: 'red', temperature: 40 }, NO_MATCH],
    // SQL reference page (iot-sql-reference.html)
    ['a WHERE that holds', "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50", { color: 'red', temperature: 100 }, matched({ rgb: 'red' })],
    // Literals page (iot-sql-literals.html)
    ['an object literal', "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long FROM 'topic/subtopic'", { lat_long: [47.606, -122.332] }, matched({ lat_long: { latitude: 47.606, longitude: -122.332 } })],
    ['an array literal', "SELECT [lat,long] as lat_long FROM 'topic/subtopic'", { lat: 47.696, long: -122.332 }, matched({ lat_long: [47.696, -122.332] })],
    // Data types page (iot-sql-data-types.html)
    ['the NULL keyword', "SELECT NULL AS n FROM 'topic/subtopic'", {}, matched({ n: null })],
  ])('%s: %s', (_case, sql, json, expected) => {
    expect(run(sql, json, { topic: 'a/b' })).toEqual(expected);
  });

  it('adds the receive time to the payload (substitution templates page)', () => {
    const payload = { deviceid: 'iot123', temp: 54.98, humidity: 32.43, coords: { latitude: 47.615694, longitude: -122.3359976 } };
    expect(run("SELECT *, timestamp() AS timestamp FROM 'my/iot/topic'", payload, { timestamp: 1579637878451 })).toEqual(matched({ ...payload, timestamp: 1579637878451 }));
  });

  // Functions page (iot-sql-functions.html), each example as `SELECT <example> AS r`.
  it.each<[string, unknown]>([
    ['abs(-5)', 5],
    ['ceil(1.2)', 2],
    ['ceil(-1.2)', -1],
    ['floor(1.2)', 1],
    ['floor(-1.2)', -2],
    ['Round(1.2)', 1],
    ['Round(1.5)', 2],
    ['Round(1.7)', 2],
    ['Round(-1.1)', -1],
    ['Round(-1.5)', -2],
    ['concat()', undefined],
    ['concat(1)', '1'],
    ['concat([1, 2, 3], 4)', [1, 2, 3, 4]],
    ['concat([1, 2, 3], "hello")', [1, 2, 3, 'hello']],
    ['concat("con", "cat")', 'concat'],
    ['concat(1, "hello")', '1hello'],
    ['concat("he","is","man")', 'heisman'],
    ['concat([1, 2, 3], "hello", [4, 5, 6])', [1, 2, 3, 'hello', 4, 5, 6]],
    ['get(["a", "b", "c"], 1)', 'b'],
    ['get({"a":"b"}, "a")', 'b'],
    // The page shows get("abc", 1) = "a", against its own table (0-based index): the table wins.
    ['get("abc", 1)', 'b'],
    ['isUndefined(5)', false],
    ['isUndefined(floor([1,2,3]))', true],
    ['lower("HELLO")', 'hello'],
    ['lower(["HELLO"])', '["hello"]'],
    ['upper("hello")', 'HELLO'],
    ['upper(["hello"])', '["HELLO"]'],
    // Data types page: abs("-5.123") is treated as abs(-5.123).
    ['abs("-5.123")', 5.123],
  ])('%s', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('topic() and topic(1) (functions page)', () => {
    expect(run("SELECT topic() AS t, topic(1) AS first FROM 'things/#'", {}, { topic: 'things/myThings/thingOne' })).toEqual(
      matched({ t: 'things/myThings/thingOne', first: 'things' }),
    );
  });
});

describe('operators follow the type tables of the operators page', () => {
  it.each<[string, unknown]>([
    ["true AND 'TRUE'", true],
    ["'false' AND true", false],
    ['1 AND true', undefined],
    ["'true' OR false", true],
    ['NULL OR true', undefined],
    ["NOT 'False'", true],
    ['NOT NOT true', true],
    ['NOT 1', undefined],
    ["5 > '4.5'", true],
    ["'5E-1' < 1", true],
    ["'abc' > 1", undefined],
    ['2 >= 2 AND 2 <= 2', true],
    ['1 = 1.0', true],
    ["'1' = 1", false],
    ['[1, 2] = [1, 2]', true],
    ['[1, 2] = [2, 1]', false],
    ["{'a': 1, 'b': [2]} = {'b': [2], 'a': 1}", true],
    ['missing = 1', undefined],
    ['NULL = NULL', true],
    ['NULL <> NULL', false],
    ["'a' <> 1", true],
    ["'a' + 1", 'a1'],
    ["1 + 'a'", '1a'],
    ["'t=' + 1.5", 't=1.5'],
    ['1 + 2', 3],
    ['1 + 2.5', 3.5],
    ['true + 1', undefined],
    ["'a' + NULL", undefined],
    ["'5' - 2", 3],
    ["'x' - 1", undefined],
    ['7 / 2', 3],
    ['-7 / 2', -3],
    ['7 / 2.5', 2.8],
    ["'7' / 2", 3.5],
    ['1 / 0', undefined],
    ['5 % 3', 2],
    ['-5 % 3', -2],
    ['5 % 0', undefined],
    ['2 * 3.5', 7],
    ["-'2'", -2],
    ['-true', undefined],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['1 < 2 AND 2 < 1 OR true', true],
  ])('%s', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('WHERE selects a message only when it is true: false and Undefined both skip it', () => {
    const statement = compileStatement("SELECT * FROM 'a/#' WHERE temperature > 30");
    expect(statement.evaluate(message({ temperature: 31 })).matched).toBe(true);
    expect(statement.evaluate(message({ temperature: 30 }))).toEqual(NO_MATCH);
    expect(statement.evaluate(message({ humidity: 80 }))).toEqual(NO_MATCH);
    expect(statement.evaluate(message(NOT_JSON))).toEqual(NO_MATCH);
  });
});

describe('fields, payloads and results', () => {
  const reading = { device: { id: 'lamp-1', sensors: [{ t: 21.5 }, { t: 22 }] }, tags: ['a', 'b'] };

  it.each<[string, unknown]>([
    ['device.id', 'lamp-1'],
    ['device.sensors[1].t', 22],
    ['tags[0]', 'a'],
    ["tags['1']", 'b'],
    ['tags[5]', undefined],
    ['tags[-1]', undefined],
    ['device.missing.deeper', undefined],
    ['tags.length', undefined],
    ['constructor', undefined],
    ['device.id.x', undefined],
    ['get(*, "tags")', ['a', 'b']],
    ['get(device, "id")', 'lamp-1'],
    ['get(tags, 0.6)', 'b'],
    ['get(tags, "1")', 'b'],
    ['get(device, 1)', undefined],
  ])('%s', (expression, expected) => {
    expect(valueOf(expression, reading)).toEqual(expected);
  });

  it('names an unnamed field by its last name, and leaves Undefined out', () => {
    expect(run("SELECT device.id, tags, nothing FROM 'a/b'", reading)).toEqual(matched({ id: 'lamp-1', tags: ['a', 'b'] }));
  });

  it('reads keys with dashes through backtick names or get(*, key)', () => {
    expect(run("SELECT `x-y` AS a, get(*, 'x-y') AS b, o.`p q` AS c FROM 'a/b'", { 'x-y': 1, o: { 'p q': 2 } })).toEqual(matched({ a: 1, b: 1, c: 2 }));
  });

  it('keywords are case-insensitive, field names are not', () => {
    expect(run("select Temp as t FROM 'a/b' wHeRe temp > 1 or Temp > 1", { Temp: 5, temp: 0 })).toEqual(matched({ t: 5 }));
  });

  it('builds a shadow update document from an unnamed object literal', () => {
    expect(run("SELECT {'state': {'reported': {'t': temperature, 'missing': nope}}} FROM 'things/+/telemetry'", { temperature: 21 })).toEqual(
      matched({ state: { reported: { t: 21 } } }),
    );
  });

  it('merges * with later items, the later item winning', () => {
    expect(run("SELECT *, topic(2) AS thing, 'x' AS a FROM 'things/+/telemetry'", { a: 1, b: 2 })).toEqual(matched({ a: 'x', b: 2, thing: 'lamp-1' }));
  });

  it('passes a payload that is not a JSON object on as bytes for SELECT *', () => {
    const bytes = message(NOT_JSON).payload;
    expect(run("SELECT * FROM 'a/#'", NOT_JSON)).toEqual({ matched: true, binary: bytes });
    expect(run("SELECT * FROM 'a/#' WHERE clientid() = 'lamp-1'", NOT_JSON)).toEqual({ matched: true, binary: bytes });
    expect(run("SELECT * FROM 'a/#'", [1, 2])).toEqual({ matched: true, binary: Buffer.from('[1,2]') });
    expect(run("SELECT *, topic(1) AS t, a FROM 'a/#'", NOT_JSON)).toEqual(matched({ t: 'things' }));
  });

  it('keeps a payload key __proto__ as a plain key', () => {
    const json = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const result = run("SELECT *, 2 AS b FROM 'a/b'", json);
    expect(result.matched && 'value' in result && Object.getPrototypeOf(result.value)).toBe(Object.prototype);
    expect(result.matched && 'value' in result && Object.keys(result.value)).toEqual(['__proto__', 'a', 'b']);
  });

  it('reads the message: clientid(), principal(), timestamp(), topic(n), newuuid()', () => {
    const statement = compileStatement("SELECT clientid() AS c, principal() AS p, timestamp() AS ts, topic(2) AS thing, topic(9) AS none, newuuid() AS id FROM 'things/#'");
    const first = statement.evaluate(message({}));
    const second = statement.evaluate(message({}));
    expect(first).toEqual(matched({ c: 'lamp-1', p: 'cert-abc', ts: 1_700_000_000_000, thing: 'lamp-1', id: expect.stringMatching(/^[0-9a-f-]{36}$/) }));
    expect(first.matched && 'value' in first && second.matched && 'value' in second && first.value.id !== second.value.id).toBe(true);
  });

  it('reports the topic filter and the SELECT * fast path', () => {
    expect(compileStatement("SELECT * FROM 'telemetry/#'")).toMatchObject({ topicFilter: 'telemetry/#', selectsPayloadAsIs: true });
    expect(compileStatement("SELECT * FROM 'a/+/c' WHERE true").selectsPayloadAsIs).toBe(false);
    expect(compileStatement("SELECT *, 1 AS one FROM '+/#'").selectsPayloadAsIs).toBe(false);
    expect(compileStatement("SELECT a FROM '#'")).toMatchObject({ topicFilter: '#', selectsPayloadAsIs: false });
  });

  it('computes constant sub-expressions once but rebuilds literal objects per message', () => {
    const statement = compileStatement("SELECT {'k': 1 + 2} AS o FROM 'a'");
    const first = statement.evaluate(message({}));
    const second = statement.evaluate(message({}));
    expect(first).toEqual(matched({ o: { k: 3 } }));
    expect(first.matched && 'value' in first && second.matched && 'value' in second && first.value.o !== second.value.o).toBe(true);
  });
});
