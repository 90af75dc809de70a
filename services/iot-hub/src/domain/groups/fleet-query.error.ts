/** Where in a dynamic group's query a problem is: 1-based line and column, 0-based offset. */
export interface QueryPosition {
  offset: number;
  line: number;
  column: number;
}

/**
 * A query the hub refuses, raised when the group is saved so that a bad query never reaches
 * evaluation. The message says what is wrong and ends with the position, for the REST layer's 400.
 */
export class FleetQueryError extends Error {
  readonly position: QueryPosition;
  readonly problem: string;

  constructor(problem: string, position: QueryPosition) {
    super(`${problem} (line ${position.line}, column ${position.column})`);
    this.name = 'FleetQueryError';
    this.problem = problem;
    this.position = position;
  }
}

/** The line and column of `offset` in `text` (a line ends at \n). */
export function positionAt(text: string, offset: number): QueryPosition {
  const end = Math.min(Math.max(offset, 0), text.length);
  const before = text.slice(0, end);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { offset: end, line: before.split('\n').length, column: end - lineStart + 1 };
}
