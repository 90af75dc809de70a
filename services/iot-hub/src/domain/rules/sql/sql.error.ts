import { PositionedError, type TextPosition } from '../../text-position.js';

export { positionAt } from '../../text-position.js';

/** Where in a rule's SQL statement (or substitution template) a problem is: 1-based line and column. */
export type SqlPosition = TextPosition;

/**
 * A statement or template the hub refuses, raised when the rule is saved so that a bad rule never
 * reaches message time. The message says what is wrong and ends with the position, which the REST
 * layer can return as is in its 400.
 */
export class RuleSqlError extends PositionedError {
  override readonly name = 'RuleSqlError';
}
