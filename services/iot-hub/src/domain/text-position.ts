import { createToken, EOF, type ILexingError, type IToken, type TokenType } from 'chevrotain';

/**
 * What the hub's small languages (topic rules' SQL, thing groups' queries) share: where in a text
 * a problem is, the error that says so, and the chevrotain pieces both lexers and parsers use.
 */

/** Where in a text a problem is: 1-based line and column, 0-based offset. */
export interface TextPosition {
  offset: number;
  line: number;
  column: number;
}

/** A text the hub refuses, raised when it is saved; the message ends with the position, for the REST layer's 400. */
export class PositionedError extends Error {
  readonly position: TextPosition;
  readonly problem: string;

  constructor(problem: string, position: TextPosition) {
    super(`${problem} (line ${position.line}, column ${position.column})`);
    this.problem = problem;
    this.position = position;
  }
}

/** The line and column of `offset` in `text` (a line ends at \n). */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let index = text.indexOf('\n'); index !== -1 && index < end; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { offset: end, line, column: end - lineStart + 1 };
}

export function tokenPosition(token: IToken): TextPosition {
  return { offset: token.startOffset, line: token.startLine ?? 1, column: token.startColumn ?? 1 };
}

/** Where a lexer stopped. */
export function lexingPosition(error: ILexingError): TextPosition {
  return { offset: error.offset, line: error.line ?? 1, column: error.column ?? 1 };
}

/** Where a parser stopped: at its token, or at the end of the text when it ran out. */
export function parsingPosition(token: IToken, text: string): TextPosition {
  return token.tokenType === EOF || Number.isNaN(token.startOffset) ? positionAt(text, text.length) : tokenPosition(token);
}

/** A token of fixed text, named in messages as that text in quotes. */
export const punctuation = (name: string, text: string): TokenType => createToken({ name, pattern: text, label: `'${text}'` });

/** A token as a message names it: its text in quotes (long ones cut), or `end` for the end of the text. */
export const describeToken = (token: IToken | undefined, end: string): string =>
  token === undefined || token.tokenType === EOF ? end : `'${token.image.length > 40 ? `${token.image.slice(0, 40)}...` : token.image}'`;

export const tokenLabel = (type: TokenType): string => type.LABEL ?? type.name;
