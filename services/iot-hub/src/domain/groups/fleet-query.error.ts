import { PositionedError, type TextPosition } from '../text-position.js';

/** Where in a dynamic group's query a problem is: 1-based line and column, 0-based offset. */
export type QueryPosition = TextPosition;

/**
 * A query the hub refuses, raised when the group is saved so that a bad query never reaches
 * evaluation. The message says what is wrong and ends with the position, for the REST layer's 400.
 */
export class FleetQueryError extends PositionedError {
  override readonly name = 'FleetQueryError';
}
