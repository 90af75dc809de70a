import type { ThingAttributes } from './device-attributes.port.js';
import { ANY_ONE, ANY_RUN, termsOf, type GlobUnit, type QueryField, type QueryMatch, type QueryNode, type RangeBound } from './fleet-query.ast.js';

/** What a dynamic group's query reads of one thing. */
export interface ThingFacts {
  thingName: string;
  /** False for a thing that never connected. */
  connected: boolean;
  /** The registry's metadata of the device; absent when the registry had none for it. */
  attributes?: ThingAttributes;
  /** The classic shadow's state sections; absent when it has none. */
  reported?: Record<string, unknown>;
  desired?: Record<string, unknown>;
}

/** Which of the hub's stores a query reads, so that evaluation skips the others. */
export interface QueryNeeds {
  shadow: boolean;
  connectivity: boolean;
  /** The device registry's metadata, asked of the registry (another process, when the hub runs apart from it). */
  attributes: boolean;
}

export function needsOf(node: QueryNode): QueryNeeds {
  const kinds = termsOf(node).map((term) => term.field.kind);
  return { shadow: kinds.includes('shadow'), connectivity: kinds.includes('connected'), attributes: kinds.includes('attribute') };
}

/** Whether a thing is in the group the query defines. */
export function matchesQuery(node: QueryNode, thing: ThingFacts): boolean {
  switch (node.kind) {
    case 'and':
      return node.operands.every((operand) => matchesQuery(operand, thing));
    case 'or':
      return node.operands.some((operand) => matchesQuery(operand, thing));
    case 'not':
      return !matchesQuery(node.operand, thing);
    case 'term':
      return valuesOf(node.field, thing).some((value) => matchesValue(node.match, value));
  }
}

/** The indexed values of a field: an array stands for each of its elements, as a multi-valued field does. */
function valuesOf(field: QueryField, thing: ThingFacts): unknown[] {
  if (field.kind === 'thingName') return [thing.thingName];
  if (field.kind === 'connected') return [thing.connected];
  // An attribute the device was declared without has no value: only NOT matches it.
  if (field.kind === 'attribute') return thing.attributes?.[field.name] === undefined ? [] : [thing.attributes[field.name]];
  let value: unknown = thing[field.section];
  for (const key of field.path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return [];
    value = (value as Record<string, unknown>)[key];
  }
  return Array.isArray(value) ? value : [value];
}

function matchesValue(match: QueryMatch, value: unknown): boolean {
  switch (match.kind) {
    case 'word':
      if (typeof value === 'number' && match.number !== undefined) return value === match.number;
      return isScalar(value) && globMatches(match.units, String(value).toLowerCase());
    case 'phrase':
      return typeof value === 'string' && value.toLowerCase() === match.text;
    case 'compare':
      return typeof value === 'number' && compare(value, match.operator, match.value);
    case 'range': {
      const comparable = match.type === 'number' ? (typeof value === 'number' ? value : undefined) : typeof value === 'string' ? value.toLowerCase() : undefined;
      return comparable !== undefined && above(comparable, match.lower) && below(comparable, match.upper);
    }
  }
}

const isScalar = (value: unknown): value is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof value);

function compare(value: number, operator: '<' | '<=' | '>' | '>=', than: number): boolean {
  if (operator === '<') return value < than;
  if (operator === '<=') return value <= than;
  if (operator === '>') return value > than;
  return value >= than;
}

const above = (value: number | string, bound: RangeBound | undefined): boolean => !bound || (bound.inclusive ? value >= bound.value : value > bound.value);
const below = (value: number | string, bound: RangeBound | undefined): boolean => !bound || (bound.inclusive ? value <= bound.value : value < bound.value);

/**
 * Whether `text` matches the pattern as a whole. Greedy with one backtrack point (the last `*`),
 * so the time is at most the product of the two lengths, whatever the pattern: no regular
 * expression is built from what a user typed.
 */
export function globMatches(pattern: readonly GlobUnit[], text: string): boolean {
  const chars = Array.from(text);
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < chars.length) {
    const unit = pattern[p];
    if (unit === ANY_RUN) {
      star = p;
      resume = t;
      p += 1;
    } else if (unit !== undefined && (unit === ANY_ONE || unit === chars[t])) {
      p += 1;
      t += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === ANY_RUN) p += 1;
  return p === pattern.length;
}
