/** Where in a rule's SQL statement (or substitution template) a problem is: 1-based line and column. */
export interface SqlPosition {
  offset: number;
  line: number;
  column: number;
}

/**
 * A statement or template the hub refuses, raised when the rule is saved so that a bad rule never
 * reaches message time. The message says what is wrong and ends with the position, which the REST
 * layer can return as is in its 400.
 */
export class RuleSqlError extends Error {
  readonly position: SqlPosition;

  constructor(problem: string, position: SqlPosition) {
    super(`${problem} (line ${position.line}, column ${position.column})`);
    this.name = 'RuleSqlError';
    this.position = position;
  }
}

/** The line and column of `offset` in `text` (both 1-based; a line ends at \n). */
export function positionAt(text: string, offset: number): SqlPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let index = text.indexOf('\n'); index !== -1 && index < end; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { offset: end, line, column: end - lineStart + 1 };
}
