import type { QueryPosition } from './fleet-query.error.js';

/** The device registry's metadata of a thing that fleet indexing's `attributes.<name>` reads. */
export const TEXT_ATTRIBUTES = ['name', 'type', 'location'] as const;
export const NUMBER_ATTRIBUTES = ['latitude', 'longitude'] as const;
export type AttributeName = (typeof TEXT_ATTRIBUTES)[number] | (typeof NUMBER_ATTRIBUTES)[number];

/** What a term reads of a thing. */
export type QueryField =
  | { kind: 'thingName' }
  | { kind: 'connected' }
  | { kind: 'attribute'; name: AttributeName }
  /** A value of the classic shadow's state section, by its path of keys. */
  | { kind: 'shadow'; section: 'reported' | 'desired'; path: string[] };

/** One character of a value, or a wildcard: `*` any run of characters, `?` exactly one. */
export type GlobUnit = string | typeof ANY_RUN | typeof ANY_ONE;
export const ANY_RUN = Symbol('*');
export const ANY_ONE = Symbol('?');

/** A bound of a range: numbers compare with numbers, text with text. */
export interface RangeBound {
  value: number | string;
  inclusive: boolean;
}

export type ComparisonOperator = '<' | '<=' | '>' | '>=';

/** How a term matches a value. Text is compared in lower case: AWS's search is case-insensitive. */
export type QueryMatch =
  /** `field:value`: the value's text, with wildcards; a number also equals a numeric value. */
  | { kind: 'word'; units: GlobUnit[]; wildcard: boolean; number?: number }
  /** `field:"quoted value"`: the whole text, no wildcards. */
  | { kind: 'phrase'; text: string }
  | { kind: 'compare'; operator: ComparisonOperator; value: number }
  | { kind: 'range'; type: 'number' | 'text'; lower?: RangeBound; upper?: RangeBound };

export type QueryNode =
  | { kind: 'term'; field: QueryField; match: QueryMatch; position: QueryPosition }
  | { kind: 'and' | 'or'; operands: QueryNode[] }
  | { kind: 'not'; operand: QueryNode };

/** The terms of a query, in the order they were written. */
export function termsOf(node: QueryNode): Array<Extract<QueryNode, { kind: 'term' }>> {
  if (node.kind === 'term') return [node];
  if (node.kind === 'not') return termsOf(node.operand);
  return node.operands.flatMap(termsOf);
}
