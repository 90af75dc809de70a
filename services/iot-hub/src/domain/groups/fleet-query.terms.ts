import type { IToken } from 'chevrotain';
import {
  ANY_ONE, ANY_RUN, NUMBER_ATTRIBUTES, TEXT_ATTRIBUTES,
  type AttributeName, type ComparisonOperator, type GlobUnit, type QueryField, type QueryMatch, type QueryNode, type RangeBound,
} from './fleet-query.ast.js';
import { FleetQueryError } from './fleet-query.error.js';
import { tokenPosition } from '../text-position.js';
import { LBracket, Quoted, quotedText, RBracket } from './fleet-query.lexer.js';

/** What follows a field's `:`, as parsed, before it is checked against the field. */
export type RawCondition =
  | { kind: 'word'; token: IToken }
  | { kind: 'phrase'; token: IToken }
  | { kind: 'range'; open: IToken; lower: IToken; upper: IToken; close: IToken };

const SUPPORTED = 'groups query thingName, connectivity.connected, attributes.<name>, shadow.reported.<path> and shadow.desired.<path>';
/** Fields of AWS's thing index that the hub has no data for. */
const REGISTRY_FIELDS = new Set(['thingTypeName', 'thingGroupNames', 'thingId', 'registry', 'deviceDefender', 'deviceManagement']);
const ATTRIBUTE_NAMES: readonly AttributeName[] = [...TEXT_ATTRIBUTES, ...NUMBER_ATTRIBUTES];
const ATTRIBUTES = `${ATTRIBUTE_NAMES.slice(0, -1).map((name) => `attributes.${name}`).join(', ')} and attributes.${ATTRIBUTE_NAMES.at(-1) ?? ''}`;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The characters of a word, `\` escapes applied: a literal character each, or a wildcard. */
function unitsOf(image: string): GlobUnit[] {
  const units: GlobUnit[] = [];
  const chars = Array.from(image);
  for (let index = 0; index < chars.length; index += 1) {
    const char = chars[index] as string;
    if (char === '\\') units.push(...Array.from((chars[(index += 1)] ?? '').toLowerCase()));
    else if (char === '*') units.push(ANY_RUN);
    else if (char === '?') units.push(ANY_ONE);
    else units.push(...Array.from(char.toLowerCase()));
  }
  return units;
}

const isWildcard = (unit: GlobUnit | undefined): boolean => unit === ANY_RUN || unit === ANY_ONE;
const literalText = (units: GlobUnit[]): string => units.filter((unit): unit is string => typeof unit === 'string').join('');

function numberOf(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The keys of a dotted field name; `\.` is a dot inside a key. */
function keysOf(image: string): string[] {
  const keys = [''];
  const chars = Array.from(image);
  for (let index = 0; index < chars.length; index += 1) {
    const char = chars[index] as string;
    if (char === '\\') keys[keys.length - 1] += chars[(index += 1)] ?? '';
    else if (char === '.') keys.push('');
    else keys[keys.length - 1] += char;
  }
  return keys;
}

/** The field a word names; field names are case-sensitive, as AWS's are. */
function fieldOf(token: IToken): QueryField {
  const name = token.image;
  const keys = keysOf(name);
  const [first, second, ...path] = keys;
  const refuse = (problem: string) => new FleetQueryError(problem, tokenPosition(token));
  if (name === 'thingName') return { kind: 'thingName' };
  if (name === 'connectivity.connected') return { kind: 'connected' };
  if (first === 'attributes') return { kind: 'attribute', name: attributeOf(name, keys, refuse) };
  if (first === 'shadow' && (second === 'reported' || second === 'desired')) {
    if (path.length === 0) throw refuse(`name a value under shadow.${second}, e.g. shadow.${second}.firmware`);
    if (path.includes('')) throw refuse(`the field ${name} has an empty key`);
    return { kind: 'shadow', section: second, path };
  }
  if (name.startsWith('-')) throw refuse(`a leading - is not supported: exclude with NOT, e.g. NOT ${name.slice(1) || 'thingName'}:value`);
  if (first === 'shadow' && second === 'name') throw refuse(`named shadows are not supported: ${SUPPORTED} (the classic shadow)`);
  if (first === 'connectivity') throw refuse(`${name} is not supported: of connectivity, groups query connectivity.connected only`);
  if (REGISTRY_FIELDS.has(first ?? '')) throw refuse(`${name} is not indexed by the hub: ${SUPPORTED}`);
  const caseHint = ['thingname', 'connectivity.connected'].includes(name.toLowerCase()) || /^(shadow\.(reported|desired)|attributes)\./i.test(name) ? ' (field names are case-sensitive)' : '';
  throw refuse(`unknown field ${name}${caseHint}: ${SUPPORTED}`);
}

/**
 * `attributes.<name>`: what the device registry keeps of a device as declared, as AWS's thing
 * attributes are indexed (https://docs.aws.amazon.com/iot/latest/developerguide/example-queries.html).
 */
function attributeOf(name: string, keys: string[], refuse: (problem: string) => FleetQueryError): AttributeName {
  const attribute = keys.length === 2 ? ATTRIBUTE_NAMES.find((known) => known === keys[1]) : undefined;
  if (attribute) return attribute;
  if (keys.length === 1) throw refuse(`name an attribute, e.g. attributes.type: devices have ${ATTRIBUTES}`);
  const caseHint = ATTRIBUTE_NAMES.some((known) => `attributes.${known}` === name.toLowerCase()) ? ' (field names are case-sensitive)' : '';
  throw refuse(`${name} is not an attribute the registry keeps${caseHint}: devices have ${ATTRIBUTES}`);
}

function wordMatch(token: IToken): QueryMatch {
  const units = unitsOf(token.image);
  const wildcard = units.some(isWildcard);
  const number = wildcard ? undefined : numberOf(literalText(units));
  return { kind: 'word', units, wildcard, ...(number === undefined ? {} : { number }) };
}

/** `*` alone is an open end; a number is a number; anything else, quoted or not, is text. */
function boundOf(token: IToken, inclusive: boolean): RangeBound | undefined {
  if (token.tokenType === Quoted) return { value: quotedText(token.image).toLowerCase(), inclusive };
  const units = unitsOf(token.image);
  if (units.length === 1 && units[0] === ANY_RUN) return undefined;
  if (units.some(isWildcard)) throw new FleetQueryError('a range bound takes no wildcards (* alone leaves that end open)', tokenPosition(token));
  const text = literalText(units);
  return { value: numberOf(text) ?? text, inclusive };
}

function rangeMatch(raw: Extract<RawCondition, { kind: 'range' }>): QueryMatch {
  const lower = boundOf(raw.lower, raw.open.tokenType === LBracket);
  const upper = boundOf(raw.upper, raw.close.tokenType === RBracket);
  const at = tokenPosition(raw.open);
  if (!lower && !upper) throw new FleetQueryError('a range needs at least one bound: field:* matches any value', at);
  const types = new Set([lower, upper].flatMap((bound) => (bound ? [typeof bound.value] : [])));
  if (types.size > 1) throw new FleetQueryError('the bounds of a range are both numbers or both text', at);
  if (lower && upper && (lower.value > upper.value || (lower.value === upper.value && !(lower.inclusive && upper.inclusive)))) {
    throw new FleetQueryError(`the range is empty: nothing is between ${String(lower.value)} and ${String(upper.value)}`, at);
  }
  return { kind: 'range', type: types.has('number') ? 'number' : 'text', ...(lower ? { lower } : {}), ...(upper ? { upper } : {}) };
}

const isNumberAttribute = (name: AttributeName): boolean => (NUMBER_ATTRIBUTES as readonly string[]).includes(name);

/** Refuses what the field can never match, so that a query that saves has a meaning. */
function checkFits(field: QueryField, match: QueryMatch, token: IToken): void {
  const refuse = (problem: string) => new FleetQueryError(problem, tokenPosition(token));
  if (field.kind === 'connected') {
    const text = match.kind === 'word' && !match.wildcard ? literalText(match.units) : undefined;
    if (text !== 'true' && text !== 'false') throw refuse('connectivity.connected is true or false, e.g. connectivity.connected:true');
  }
  const numeric = match.kind === 'compare' || (match.kind === 'range' && match.type === 'number');
  if (field.kind === 'thingName' && numeric) throw refuse('thingName is text: match it with thingName:value, wildcards, or a range of names');
  if (field.kind !== 'attribute') return;
  const label = `attributes.${field.name}`;
  if (!isNumberAttribute(field.name)) {
    if (numeric) throw refuse(`${label} is text: match it with ${label}:value, wildcards, or a range of text`);
    return;
  }
  // A wildcard matches a number's digits (attributes.latitude:52.*), as it does a shadow value's.
  const textual = match.kind === 'phrase' || (match.kind === 'range' && match.type === 'text') || (match.kind === 'word' && !match.wildcard && match.number === undefined);
  if (textual) throw refuse(`${label} is a number: match it with ${label}:52.37, a comparison (>, >=, <, <=) or a range such as [50 TO 54]`);
}

/** `field:condition`, checked against the field. */
export function conditionTerm(fieldToken: IToken, raw: RawCondition): QueryNode {
  const field = fieldOf(fieldToken);
  const match = raw.kind === 'word' ? wordMatch(raw.token) : raw.kind === 'phrase' ? { kind: 'phrase' as const, text: quotedText(raw.token.image).toLowerCase() } : rangeMatch(raw);
  checkFits(field, match, fieldToken);
  return { kind: 'term', field, match, position: tokenPosition(fieldToken) };
}

/** `field>n` and the like: numbers only. */
export function comparisonTerm(fieldToken: IToken, operator: IToken, valueToken: IToken): QueryNode {
  const field = fieldOf(fieldToken);
  const units = unitsOf(valueToken.image);
  const value = numberOf(literalText(units));
  if (value === undefined || units.some(isWildcard)) {
    throw new FleetQueryError(`expected a number after ${operator.image} but found '${valueToken.image}'`, tokenPosition(valueToken));
  }
  const match: QueryMatch = { kind: 'compare', operator: operator.image as ComparisonOperator, value };
  checkFits(field, match, fieldToken);
  return { kind: 'term', field, match, position: tokenPosition(fieldToken) };
}

/** A term led by a wildcard (`*lamp`, `?amp`): AWS allows one per query. `*` alone matches any value and is not one. */
export function hasLeadingWildcard(node: Extract<QueryNode, { kind: 'term' }>): boolean {
  return node.match.kind === 'word' && isWildcard(node.match.units[0]) && node.match.units.length > 1;
}
