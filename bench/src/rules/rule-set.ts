import type { CreateTopicRuleRequest } from '@citus/contracts';

/**
 * The rules of the second phase and the topics of both. The payload is the ingest bench's
 * (`temperature` uniform in 18-26, `humidity` in 40-60, `unit` 'C'), so each WHERE below has a
 * known share of messages: the shares are kept small where the action is costly, as a real
 * workspace's alert-like rules are, and every rule is evaluated on every message its FROM matches.
 */

/** Each device publishes to these in turn: two telemetry topics (stored) and one application topic (not stored). */
export function benchTopics(thingName: string): string[] {
  return [`telemetry/${thingName}`, `telemetry/${thingName}/env`, `things/${thingName}/status`];
}

export interface RuleSetContext {
  /** Things of the load, for FROM filters naming one thing. */
  thingNames: string[];
  /** A thing whose connection subscribes to `things/{observer}/#`, so republishes to it are counted. */
  observerThing: string;
  /** The bench's HTTP receiver, `http://127.0.0.1:{port}`. */
  receiverUrl: string;
}

/** What the rules of one family are for: the bench reports how many of each it created. */
export type RuleFamily = 'unmatched-from' | 'never-where' | 'one-thing' | 'republish' | 'observer' | 'shadow' | 'http';

type Maker = (index: number, context: RuleSetContext) => Omit<CreateTopicRuleRequest, 'name'>;

const BROAD_FROM = ['telemetry/+', 'telemetry/+/+', 'telemetry/#', 'things/+/status'] as const;
const pick = <T>(list: readonly T[], index: number): T => list[index % list.length] as T;
const republishTo = (topic: string) => [{ republish: { topic } }];

/** Filters no published topic matches: the cheapest rejection, by topic alone. */
const unmatchedFrom: Maker = (i) => ({
  sql: `SELECT * FROM '${pick(['telemetry/+/power', 'things/+/alarm', 'telemetry/no-such-thing', 'factory/+/line'], i)}'`,
  actions: republishTo('things/${topic(2)}/never'),
});

/** Broad filters whose WHERE never holds: the statement runs on every message, no action follows. */
const neverWhere: Maker = (i) => ({
  sql:
    `SELECT temperature, humidity, topic(2) AS thing FROM '${pick(BROAD_FROM, i)}' WHERE ` +
    pick([`temperature > ${100 + i}`, 'humidity < 0', "unit = 'F'", "label = 'other sensor'", 'isUndefined(temperature)'], i),
  actions: republishTo('things/${topic(2)}/never'),
});

/** One thing's telemetry, always matching: 1 message in (3 x devices) each. */
const oneThing: Maker = (i, { thingNames }) => ({
  sql: `SELECT value, upper(unit) AS unit, clientid() AS who FROM 'telemetry/${pick(thingNames, i)}' WHERE unit = 'C'`,
  actions: republishTo('things/${topic(2)}/mine'),
});

/** Alert-like republishes with projections and functions; 2.5 % of the messages their FROM matches. */
const republish: Maker = (i) => ({
  sql:
    'SELECT round(temperature * 1.8 + 32) AS fahrenheit, floor(humidity) AS rh, topic(2) AS thing, timestamp() AS at ' +
    `FROM '${pick(BROAD_FROM, i)}' WHERE ${pick(['temperature > 25.8', 'humidity < 40.5', 'temperature < 18.2', 'humidity > 59.5'], i)}`,
  actions: republishTo(`things/\${topic(2)}/alerts/${i}`),
});

/** Republishes to the observer's topic, 1.25 % of telemetry: what it receives proves republish ran. */
const observer: Maker = (i, { observerThing }) => ({
  sql: `SELECT temperature, topic() AS source FROM 'telemetry/#' WHERE temperature > 25.9`,
  actions: [{ republish: { topic: `things/${observerThing}/tap/${i}` } }],
});

/** Shadow updates built by the SELECT, 2 % of the messages their FROM matches. */
const shadow: Maker = (i) => ({
  sql: `SELECT {'state': {'reported': {'rule_${i}': round(temperature), 'rh': floor(humidity)}}} FROM '${pick(['telemetry/+', 'things/+/status'], i)}' WHERE humidity > 59.6`,
  actions: [{ shadow: {} }],
});

/** Signed POSTs to the bench's receiver, 1.25 % of the messages their FROM matches. */
const http: Maker = (i, { receiverUrl }) => ({
  sql: `SELECT * FROM '${pick(['telemetry/+/+', 'things/+/status'], i)}' WHERE temperature < 18.1`,
  actions: [{ http: { url: `${receiverUrl}/rules/${i}/\${topic(2)}`, headers: [{ key: 'x-thing', value: '${topic(2)}' }] } }],
});

/** The families in a set of 100, in the order they are laid out. */
const LAYOUT: ReadonlyArray<{ family: RuleFamily; count: number; make: Maker }> = [
  { family: 'unmatched-from', count: 20, make: unmatchedFrom },
  { family: 'never-where', count: 30, make: neverWhere },
  { family: 'one-thing', count: 10, make: oneThing },
  { family: 'republish', count: 25, make: republish },
  { family: 'observer', count: 3, make: observer },
  { family: 'shadow', count: 6, make: shadow },
  { family: 'http', count: 6, make: http },
];

function familyAt(slot: number): (typeof LAYOUT)[number] {
  let rest = slot;
  for (const entry of LAYOUT) {
    if (rest < entry.count) return entry;
    rest -= entry.count;
  }
  throw new Error(`no rule family at slot ${slot}`);
}

export interface BenchRule {
  family: RuleFamily;
  request: CreateTopicRuleRequest;
}

/** `count` enabled rules: the layout of 100 repeated, so any count keeps about its shares. */
export function buildRuleSet(count: number, context: RuleSetContext): BenchRule[] {
  return Array.from({ length: count }, (_, index) => {
    const { family, make } = familyAt(index % 100);
    const name = `bench_${family.replace('-', '_')}_${index}`;
    return { family, request: { name, ...make(index, context), ruleDisabled: false } };
  });
}

/** How many rules of each family a set holds. */
export function familyCounts(rules: BenchRule[]): Record<RuleFamily, number> {
  const counts = Object.fromEntries(LAYOUT.map(({ family }) => [family, 0])) as Record<RuleFamily, number>;
  for (const rule of rules) counts[rule.family]++;
  return counts;
}
