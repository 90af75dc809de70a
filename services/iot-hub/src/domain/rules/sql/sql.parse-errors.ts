import { EOF, type IParserErrorMessageProvider, type IRecognitionException, type IToken } from 'chevrotain';
import { describeToken, parsingPosition, tokenLabel as label } from '../../text-position.js';
import { RuleSqlError } from './sql.error.js';
import {
  DoubleQuoted, False, From, Identifier, LBrace, LBracket, Not, Null, NumberLiteral, QuotedIdentifier, Select, SingleQuoted, Star,
  tokenPosition, True, Where,
} from './sql.lexer.js';

/** SQL the rules engine of a single message has no use for, named so the refusal says so. */
const UNSUPPORTED_WORDS: Readonly<Record<string, string>> = {
  JOIN: 'JOIN is not supported: a rule reads one topic filter',
  GROUP: 'GROUP BY is not supported: a rule sees one message at a time',
  ORDER: 'ORDER BY is not supported: a rule sees one message at a time',
  HAVING: 'HAVING is not supported: a rule sees one message at a time',
  LIMIT: 'LIMIT is not supported: a rule sees one message at a time',
  UNION: 'UNION is not supported',
  CASE: 'CASE is not supported by the hub; use WHERE or a second rule',
  IN: 'IN is not supported by the hub; use = with OR',
  LIKE: 'LIKE is not supported by the hub',
  IS: 'IS is not supported by the hub; use isUndefined(x) or x = NULL',
  BETWEEN: 'BETWEEN is not supported by the hub; use >= and <=',
};

const describe = (token: IToken | undefined): string => describeToken(token, 'the end of the statement');
const RULE_LABELS: Readonly<Record<string, string>> = {
  selectItem: '* or an expression', name: 'a name', argument: 'an argument', objectKey: "a key in quotes, e.g. 'state'",
};
const EXAMPLE_FROM = "FROM 'things/+/telemetry'";

/** Short messages naming what was expected; FROM mistakes get an example. */
export const PARSE_MESSAGES: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous }) {
    if (expected === From && (actual.tokenType === EOF || actual.tokenType === Where)) {
      return `missing FROM: a rule reads the messages of a topic filter in single quotes, e.g. ${EXAMPLE_FROM}`;
    }
    if (expected === SingleQuoted && previous?.tokenType === From) {
      return `FROM takes a topic filter in single quotes, e.g. ${EXAMPLE_FROM}, not ${describe(actual)}`;
    }
    return `expected ${label(expected)} but found ${describe(actual)}`;
  },
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${describe(firstRedundant)} after the end of the statement`,
  buildNoViableAltMessage: ({ actual, ruleName }) => `expected ${RULE_LABELS[ruleName] ?? 'an expression'} but found ${describe(actual[0])}`,
  buildEarlyExitMessage: ({ actual, ruleName }) => `expected ${RULE_LABELS[ruleName] ?? 'an expression'} but found ${describe(actual[0])}`,
};

/** `SELECT VALUE x` would make results that are not objects; refused by name rather than as a stray token. */
export function refuseSelectValue(tokens: IToken[]): void {
  const [first, second, third] = tokens;
  if (first?.tokenType !== Select || second?.tokenType !== Identifier || second.image.toUpperCase() !== 'VALUE' || !third) return;
  const startsExpression = [Identifier, QuotedIdentifier, NumberLiteral, SingleQuoted, DoubleQuoted, True, False, Null, LBrace, LBracket, Star, Not];
  if (startsExpression.includes(third.tokenType)) {
    throw new RuleSqlError('SELECT VALUE is not supported: the hub\'s rule results are JSON objects; select fields or an object literal', tokenPosition(second));
  }
}

/** The RuleSqlError for the parser's first error, naming unsupported SQL where it can. */
export function refusalOf(error: IRecognitionException, text: string, tokens: IToken[]): RuleSqlError {
  const token = error.token;
  const position = parsingPosition(token, text);
  if (token.tokenType === Select) return new RuleSqlError('nested SELECT is not supported', position);
  // `CASE a WHEN` fails at `a`: the unsupported word may be the token before the one that failed.
  const previous = tokens[tokens.indexOf(token) - 1];
  for (const candidate of [token, previous]) {
    const word = candidate?.tokenType === Identifier ? UNSUPPORTED_WORDS[candidate.image.toUpperCase()] : undefined;
    if (candidate && word) return new RuleSqlError(word, tokenPosition(candidate));
  }
  return new RuleSqlError(error.message, position);
}
