import { FleetQueryError } from '../src/domain/groups/fleet-query.error.js';
import { globMatches, matchesQuery, needsOf, type ThingFacts } from '../src/domain/groups/fleet-query.evaluator.js';
import { parseFleetQuery } from '../src/domain/groups/fleet-query.parser.js';
import { ANY_ONE, ANY_RUN } from '../src/domain/groups/fleet-query.ast.js';

/** The FleetQueryError `query` is refused with. */
function refusal(query: string): FleetQueryError {
  try {
    parseFleetQuery(query);
  } catch (error) {
    if (error instanceof FleetQueryError) return error;
    throw error;
  }
  throw new Error(`accepted: ${query}`);
}

/** A thing, as the evaluator sees it (an object mother). */
const thing = (facts: Partial<ThingFacts> = {}): ThingFacts => ({ thingName: 'lamp-1', connected: false, ...facts });
const matches = (query: string, facts: Partial<ThingFacts>) => matchesQuery(parseFleetQuery(query), thing(facts));

describe('queries the hub takes when a dynamic group is saved', () => {
  it.each([
    'thingName:lamp-1',
    'thingName:lamp-*',
    'thingName:*-1',
    'thingName:l?mp-1',
    'thingName:"lamp-1"',
    'thingName:a\\:b',
    'connectivity.connected:true',
    'connectivity.connected:FALSE',
    'shadow.reported.firmware.version:"1.2.3"',
    'shadow.desired.mode:eco',
    'shadow.reported.battery>80',
    'shadow.reported.battery>=80.5',
    'shadow.reported.battery<-3',
    'shadow.reported.battery<=1e3',
    'shadow.reported.battery:[10 TO 20]',
    'shadow.reported.battery:{10 TO 20]',
    'shadow.reported.battery:[10 TO *]',
    'shadow.reported.model:["a" TO "m"}',
    'thingName:[a TO m]',
    'shadow.reported.key\\.with\\.dots:1',
    'thingName:a AND thingName:b',
    'thingName:a thingName:b',
    'thingName:a OR thingName:b AND NOT thingName:c',
    'NOT NOT thingName:a',
    '(thingName:a OR thingName:b) AND (connectivity.connected:true)',
    'thingName : a',
    'attributes.name:"Porch lamp"',
    'attributes.type:lamp',
    'attributes.type:*',
    'attributes.location:[a TO m]',
    'attributes.latitude>52',
    'attributes.longitude:[-10 TO 10.5]',
    'attributes.latitude:52.*',
    'attributes.latitude:*',
    'attributes.type:lamp AND shadow.reported.fw<2 AND NOT attributes.location:cellar',
    'shadow.reported.a:1 AND shadow.reported.b:2 AND shadow.reported.c:3 AND shadow.reported.d:4 AND shadow.reported.e:5 AND shadow.reported.f:6 AND ' +
      'shadow.reported.g:7 AND shadow.reported.h:8 AND shadow.reported.i:9 AND shadow.reported.j:10 AND shadow.reported.k:11 AND shadow.reported.l:12',
  ])('%s', (query) => {
    expect(() => parseFleetQuery(query)).not.toThrow();
  });
});

describe('queries the hub refuses when a dynamic group is saved, with the position', () => {
  it.each<[string, string, string, number, number]>([
    ['an empty query', '   ', 'the query is empty', 1, 1],
    ['a term without its field', 'lamp', "expected ':' or a comparison (>, >=, <, <=) after the field name", 1, 5],
    ['a field without a value', 'thingName:', 'expected a value, a "quoted value" or a range such as [1 TO 5] but found the end of the query', 1, 11],
    ['a dangling OR', 'thingName:a OR', 'expected a term, NOT or ( but found the end of the query', 1, 15],
    ['a dangling AND', 'thingName:a AND', 'expected a term, NOT or ( but found the end of the query', 1, 16],
    ['an unclosed parenthesis', '(thingName:a', "expected ')' but found the end of the query", 1, 13],
    ['a stray parenthesis', 'thingName:a )', "unexpected ')'", 1, 13],
    ['an unescaped : in a value', 'thingName:a:b', "unexpected ':': a : in a value is escaped (a\\:b) or quoted", 1, 12],
    ['= instead of :', 'thingName=a', 'unexpected character "=": a term is field:value', 1, 10],
    ['single quotes', "thingName:'a'", 'quote values with double quotes', 1, 11],
    ['an unterminated quote', 'thingName:"a', 'unterminated quoted value', 1, 11],
    ['a lone backslash', 'thingName:a\\', 'a \\ at the end escapes nothing', 1, 12],
    ['an unknown field', 'thingName:a AND color:red', 'unknown field color', 1, 17],
    ['a field in the wrong case', 'ThingName:a', 'unknown field ThingName (field names are case-sensitive)', 1, 1],
    ['an attribute the registry does not keep', 'attributes.model:x', 'attributes.model is not an attribute the registry keeps: devices have attributes.name, attributes.type, attributes.location, attributes.latitude and attributes.longitude', 1, 1],
    ['an unknown attribute after a known one', 'attributes.type:lamp AND attributes.colour:red', 'attributes.colour is not an attribute the registry keeps', 1, 26],
    ['an attribute in the wrong case', 'attributes.Type:lamp', 'attributes.Type is not an attribute the registry keeps (field names are case-sensitive)', 1, 1],
    ['attributes without a name', 'attributes:lamp', 'name an attribute, e.g. attributes.type', 1, 1],
    ['a path under an attribute', 'attributes.type.x:lamp', 'attributes.type.x is not an attribute the registry keeps', 1, 1],
    ['the attributes prefix in the wrong case', 'Attributes.type:lamp', 'unknown field Attributes.type (field names are case-sensitive)', 1, 1],
    ['a comparison on a text attribute', 'attributes.type>5', 'attributes.type is text', 1, 1],
    ['a numeric range on a text attribute', 'thingName:a AND attributes.location:[1 TO 5]', 'attributes.location is text', 1, 17],
    ['text for a numeric attribute', 'attributes.latitude:north', 'attributes.latitude is a number', 1, 1],
    ['a quoted value for a numeric attribute', 'attributes.longitude:"4.89"', 'attributes.longitude is a number', 1, 1],
    ['a text range for a numeric attribute', 'attributes.latitude:[a TO b]', 'attributes.latitude is a number', 1, 1],
    ['another registry field', 'thingTypeName:lamp', 'thingTypeName is not indexed by the hub', 1, 1],
    ['a named shadow', 'shadow.name.config.reported.a:1', 'named shadows are not supported', 1, 1],
    ['a shadow section without a path', 'shadow.reported:1', 'name a value under shadow.reported, e.g. shadow.reported.firmware', 1, 1],
    ['an empty key', 'shadow.reported.a..b:1', 'the field shadow.reported.a..b has an empty key', 1, 1],
    ['another connectivity field', 'connectivity.timestamp>5', 'connectivity.timestamp is not supported', 1, 1],
    ['a hyphen exclusion', 'thingName:a -thingName:b', 'a leading - is not supported: exclude with NOT, e.g. NOT thingName:value', 1, 13],
    ['connected with a non-boolean', 'connectivity.connected:yes', 'connectivity.connected is true or false', 1, 1],
    ['connected with a wildcard', 'connectivity.connected:t*', 'connectivity.connected is true or false', 1, 1],
    ['a comparison with text', 'shadow.reported.battery>full', "expected a number after > but found 'full'", 1, 25],
    ['a comparison on thingName', 'thingName>5', 'thingName is text', 1, 1],
    ['a numeric range on thingName', 'thingName:[1 TO 5]', 'thingName is text', 1, 1],
    ['a range with mixed bounds', 'shadow.reported.a:[1 TO "z"]', 'the bounds of a range are both numbers or both text', 1, 19],
    ['a range without bounds', 'shadow.reported.a:[* TO *]', 'a range needs at least one bound', 1, 19],
    ['an empty range', 'shadow.reported.a:[5 TO 1]', 'the range is empty', 1, 19],
    ['an empty exclusive range', 'shadow.reported.a:{5 TO 5]', 'the range is empty', 1, 19],
    ['a wildcard in a range bound', 'shadow.reported.a:[a* TO b]', 'a range bound takes no wildcards', 1, 20],
    ['a range without TO', 'shadow.reported.a:[1 5]', "expected TO but found '5'", 1, 22],
    ['lower-case operators are words', 'thingName:a or thingName:b', "expected ':' or a comparison", 1, 16],
    ['13 terms', `${Array.from({ length: 12 }, (_, i) => `thingName:t${i}`).join(' OR ')} OR thingName:x`, 'a query has at most 12 terms', 1, 195],
    ['two leading wildcards', 'thingName:*a OR shadow.reported.b:*c', 'only one term of a query may start with a wildcard', 1, 17],
    ['a long query with a leading wildcard', `thingName:*a OR shadow.reported.${'b'.repeat(80)}:c`, 'at most 100 characters', 1, 1],
    ['deep parentheses', `${'('.repeat(33)}thingName:a${')'.repeat(33)}`, 'deeper than 32 levels', 1, 33],
    ['a problem on a later line', 'thingName:a\n  AND colour:red', 'unknown field colour', 2, 7],
  ])('%s', (_name, query, message, line, column) => {
    const error = refusal(query);
    expect(error.message).toContain(message);
    expect(error.position).toMatchObject({ line, column });
    expect(error.message).toMatch(new RegExp(`\\(line ${line}, column ${column}\\)$`));
  });
});

describe('which things a query matches', () => {
  const reported = { firmware: { version: '1.2.3' }, battery: 85, model: 'Lamp-X', tags: ['garden', 'outdoor'], on: true, zero: 0 };
  const attributes = { name: 'Porch lamp', type: 'Lamp', location: 'Porch', latitude: 52.37, longitude: 4.89 };
  it.each<[string, Partial<ThingFacts>, boolean]>([
    ['thingName:lamp-1', {}, true],
    ['thingName:LAMP-1', {}, true], // AWS's search is case-insensitive
    ['thingName:lamp-2', {}, false],
    ['thingName:lamp', {}, false], // a whole value, not a word of it
    ['thingName:lamp*', {}, true],
    ['thingName:*-1', {}, true],
    ['thingName:*mp*', {}, true],
    ['thingName:l?mp-1', {}, true],
    ['thingName:l?p-1', {}, false],
    ['thingName:"lamp-1"', {}, true],
    ['thingName:"lamp*"', {}, false], // no wildcards in quotes
    ['thingName:[k TO m]', {}, true],
    ['thingName:[m TO z]', {}, false],
    ['connectivity.connected:true', { connected: true }, true],
    ['connectivity.connected:true', { connected: false }, false],
    ['connectivity.connected:false', { connected: false }, true],
    ['shadow.reported.firmware.version:"1.2.3"', { reported }, true],
    ['shadow.reported.firmware.version:1.2.*', { reported }, true],
    ['shadow.reported.firmware.version:1.3.*', { reported }, false],
    ['shadow.desired.firmware.version:"1.2.3"', { reported }, false], // another section
    ['shadow.reported.firmware:*', { reported }, false], // an object is not a value
    ['shadow.reported.firmware.version:*', { reported }, true],
    ['shadow.reported.missing:*', { reported }, false],
    ['shadow.reported.battery:85', { reported }, true],
    ['shadow.reported.battery:85.0', { reported }, true], // numbers compare as numbers
    ['shadow.reported.battery:8*', { reported }, true],
    ['shadow.reported.battery:"85"', { reported }, false], // a quoted value is text
    ['shadow.reported.battery>80', { reported }, true],
    ['shadow.reported.battery>85', { reported }, false],
    ['shadow.reported.battery>=85', { reported }, true],
    ['shadow.reported.battery<85', { reported }, false],
    ['shadow.reported.battery<=85', { reported }, true],
    ['shadow.reported.model>1', { reported }, false], // text never compares with a number
    ['shadow.reported.battery:[80 TO 85]', { reported }, true],
    ['shadow.reported.battery:[80 TO 85}', { reported }, false],
    ['shadow.reported.battery:{85 TO *]', { reported }, false],
    ['shadow.reported.battery:[* TO 100]', { reported }, true],
    ['shadow.reported.model:[lamp TO lamq]', { reported }, true],
    ['shadow.reported.model:["a" TO "b"]', { reported }, false],
    ['shadow.reported.tags:garden', { reported }, true], // an array stands for each of its elements
    ['shadow.reported.tags:indoor', { reported }, false],
    ['shadow.reported.on:true', { reported }, true],
    ['shadow.reported.zero:0', { reported }, true],
    ['shadow.reported.battery>50', {}, false], // no shadow
    ['NOT shadow.reported.battery>50', {}, true], // NOT matches the things without the value too
    ['thingName:lamp-1 AND shadow.reported.battery>90', { reported }, false],
    ['thingName:lamp-1 shadow.reported.battery>80', { reported }, true], // AND is the default
    ['thingName:x OR shadow.reported.battery>80', { reported }, true],
    ['thingName:x OR thingName:lamp-1 AND connectivity.connected:true', { connected: false }, false], // AND binds tighter
    ['(thingName:x OR thingName:lamp-1) AND NOT connectivity.connected:true', { connected: false }, true],
    ['NOT NOT thingName:lamp-1', {}, true],
    ['attributes.type:lamp', { attributes }, true],
    ['attributes.type:LAMP', { attributes }, true],
    ['attributes.type:pump', { attributes }, false],
    ['attributes.type:*', { attributes }, true],
    ['attributes.type:*', { attributes: { name: 'Lamp' } }, false], // declared without a type
    ['NOT attributes.type:*', { attributes: { name: 'Lamp' } }, true],
    ['attributes.type:lamp', {}, false], // the registry had no metadata for it
    ['attributes.name:"porch lamp"', { attributes }, true],
    ['attributes.name:porch*', { attributes }, true],
    ['attributes.name:porch', { attributes }, false], // a whole value, not a word of it
    ['attributes.location:[a TO q]', { attributes }, true],
    ['attributes.location:[q TO z]', { attributes }, false],
    ['attributes.latitude>52', { attributes }, true],
    ['attributes.latitude>=53', { attributes }, false],
    ['attributes.latitude:52.37', { attributes }, true],
    ['attributes.latitude:52.*', { attributes }, true],
    ['attributes.longitude:[4 TO 5]', { attributes }, true],
    ['attributes.longitude<0', { attributes }, false],
    ['attributes.longitude:*', { attributes: { name: 'Lamp' } }, false],
    ['attributes.type:lamp AND shadow.reported.battery>80', { attributes, reported }, true],
    ['attributes.type:lamp AND shadow.reported.battery>90', { attributes, reported }, false],
  ])('%s', (query, facts, expected) => {
    expect(matches(query, facts)).toBe(expected);
  });
});

describe('what a query reads', () => {
  it.each<[string, { shadow: boolean; connectivity: boolean; attributes: boolean }]>([
    ['thingName:a', { shadow: false, connectivity: false, attributes: false }],
    ['thingName:a OR NOT connectivity.connected:true', { shadow: false, connectivity: true, attributes: false }],
    ['(thingName:a AND shadow.desired.b:1)', { shadow: true, connectivity: false, attributes: false }],
    ['thingName:a OR (shadow.desired.b:1 AND NOT attributes.type:lamp)', { shadow: true, connectivity: false, attributes: true }],
  ])('%s', (query, needs) => {
    expect(needsOf(parseFleetQuery(query))).toEqual(needs);
  });
});

describe('wildcard matching', () => {
  const pattern = (text: string) => Array.from(text).map((char) => (char === '*' ? ANY_RUN : char === '?' ? ANY_ONE : char));
  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['?', '', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['*ab', 'aab', true],
    ['a**', 'a', true],
    ['??', 'é✓', true], // characters, not UTF-16 units
  ])('%s against %s', (glob, text, expected) => {
    expect(globMatches(pattern(glob), text)).toBe(expected);
  });

  it('stays fast on a pattern that would make a regular expression backtrack', () => {
    const started = performance.now();
    expect(globMatches(pattern(`${'*a'.repeat(20)}b`), 'a'.repeat(5_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
