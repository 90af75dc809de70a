import { randomUUID } from 'node:crypto';
import type { ArgumentNode } from './sql.ast.js';
import { RuleSqlError, type SqlPosition } from './sql.error.js';
import type { Evaluator } from './rule-message.model.js';
import { fieldOf, isPlainObject, noNegativeZero, toDecimal, toInt, toText, type SqlValue } from './sql.values.js';

/**
 * The functions the hub runs, with the argument-type tables of AWS's "Functions" page
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html). Names are
 * case-insensitive (AWS's own examples write Round and Trim). A wrong type at message time gives
 * Undefined; a wrong number of arguments is refused when the rule is saved.
 */
interface FunctionSpec {
  min: number;
  max: number;
  /** Same arguments, same result: a call with constant arguments is computed once at compile time. */
  pure: boolean;
  build(args: Evaluator[], nodes: ArgumentNode[], position: SqlPosition): Evaluator;
}

const unary = (apply: (value: SqlValue) => SqlValue): FunctionSpec => ({
  min: 1,
  max: 1,
  pure: true,
  build: ([arg]) => {
    const read = arg as Evaluator;
    return (context) => apply(read(context));
  },
});

/** abs/ceil/floor/round: Int and Decimal as they are, numeric strings converted, anything else Undefined. */
const numeric = (apply: (value: number) => number): FunctionSpec =>
  unary((value) => {
    const number = toDecimal(value);
    return number === undefined ? undefined : noNegativeZero(apply(number));
  });

const textual = (apply: (value: string) => string): FunctionSpec =>
  unary((value) => {
    const text = toText(value);
    return text === undefined ? undefined : apply(text);
  });

/** AWS rounds halves away from zero: round(1.5) = 2, round(-1.5) = -2. */
const roundHalfAway = (value: number) => Math.sign(value) * Math.round(Math.abs(value));

/** concat: any array argument makes an array of all arguments, else the string forms joined. */
function concat(values: SqlValue[]): SqlValue {
  if (values.length === 0) return undefined;
  if (values.some(Array.isArray)) {
    const items: unknown[] = [];
    for (const value of values) {
      if (Array.isArray(value)) items.push(...value);
      else if (value !== undefined) items.push(value);
    }
    return items;
  }
  let text = '';
  for (const value of values) {
    const part = toText(value);
    if (part === undefined) return undefined;
    text += part;
  }
  return text;
}

/** get: an array or string by 0-based index (converted to Int), an object by a string key. */
function get(collection: SqlValue, key: SqlValue): SqlValue {
  if (isPlainObject(collection)) return typeof key === 'string' ? fieldOf(collection, key) : undefined;
  if (!Array.isArray(collection) && typeof collection !== 'string') return undefined;
  const index = toInt(key);
  if (index === undefined || index < 0 || index >= collection.length) return undefined;
  return collection[index];
}

const messageValue = (read: Evaluator): FunctionSpec => ({ min: 0, max: 0, pure: false, build: () => read });

/** topic() is the whole topic; topic(n) the n-th level, 1-based, given as a number in the statement. */
const topic: FunctionSpec = {
  min: 0,
  max: 1,
  pure: false,
  build: (_args, nodes, position) => {
    const [level] = nodes;
    if (level === undefined) return (context) => context.message.topic;
    if (level.kind !== 'literal' || typeof level.value !== 'number' || !Number.isInteger(level.value) || level.value < 1) {
      throw new RuleSqlError('topic takes the number of a topic level (1 for the first), e.g. topic(2)', level.kind === 'literal' ? level.position : position);
    }
    const index = level.value - 1;
    return (context) => (context.levels ??= context.message.topic.split('/'))[index];
  },
};

const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  abs: numeric(Math.abs),
  ceil: numeric(Math.ceil),
  floor: numeric(Math.floor),
  round: numeric(roundHalfAway),
  lower: textual((text) => text.toLowerCase()),
  upper: textual((text) => text.toUpperCase()),
  concat: {
    min: 0,
    max: Number.POSITIVE_INFINITY,
    pure: true,
    build: (args) => (context) => concat(args.map((arg) => arg(context))),
  },
  get: {
    min: 2,
    max: 2,
    pure: true,
    build: ([collection, key]) => (context) => get((collection as Evaluator)(context), (key as Evaluator)(context)),
  },
  isundefined: unary((value) => value === undefined),
  newuuid: { min: 0, max: 0, pure: false, build: () => () => randomUUID() },
  timestamp: messageValue((context) => context.message.timestamp),
  clientid: messageValue((context) => context.message.clientId),
  principal: messageValue((context) => context.message.principal),
  topic,
};

/** The names as AWS's reference writes them, for the refusal of an unknown function. */
export const SUPPORTED_FUNCTIONS = 'abs, ceil, clientid, concat, floor, get, isUndefined, lower, newuuid, principal, round, timestamp, topic, upper';

const plural = (count: number) => `${count} argument${count === 1 ? '' : 's'}`;

function arityText(spec: FunctionSpec): string {
  if (spec.max === Number.POSITIVE_INFINITY) return `at least ${plural(spec.min)}`;
  if (spec.min === spec.max) return plural(spec.min);
  return `${spec.min} to ${spec.max} arguments`;
}

/** The evaluator of a call, or a RuleSqlError naming an unknown function or a wrong argument count. */
export function buildCall(name: string, args: Evaluator[], nodes: ArgumentNode[], position: SqlPosition): { evaluate: Evaluator; pure: boolean } {
  const spec = Object.hasOwn(FUNCTIONS, name.toLowerCase()) ? FUNCTIONS[name.toLowerCase()] : undefined;
  if (!spec) throw new RuleSqlError(`function ${name} is not supported; the hub runs: ${SUPPORTED_FUNCTIONS}`, position);
  if (args.length < spec.min || args.length > spec.max) {
    throw new RuleSqlError(`${name} takes ${arityText(spec)}, not ${args.length}`, position);
  }
  return { evaluate: spec.build(args, nodes, position), pure: spec.pure };
}
