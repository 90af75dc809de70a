import { EmbeddedActionsParser, type IParserErrorMessageProvider, type IToken } from 'chevrotain';
import { termsOf, type QueryNode } from './fleet-query.ast.js';
import { describeToken, parsingPosition, positionAt, tokenLabel as label } from '../text-position.js';
import { FleetQueryError } from './fleet-query.error.js';
import {
  ALL_TOKENS, And, Colon, Greater, GreaterEqual, LBrace, LBracket, Less, LessEqual, LParen, Not, Or, Quoted, RBrace, RBracket, RParen, To,
  tokenize, Word,
} from './fleet-query.lexer.js';
import { comparisonTerm, conditionTerm, hasLeadingWildcard, type RawCondition } from './fleet-query.terms.js';

/** AWS's query syntax notes: at most 12 terms a query. */
const MAX_QUERY_TERMS = 12;
/** AWS's query syntax notes: one leading-wildcard term a query, and then at most 100 characters. */
const MAX_LEADING_WILDCARD_QUERY_CHARS = 100;

const describe = (token: IToken | undefined): string => describeToken(token, 'the end of the query');
const EXPECTED_IN: Readonly<Record<string, string>> = {
  term: "':' or a comparison (>, >=, <, <=) after the field name (a term is field:value, e.g. thingName:lamp-1)",
  condition: 'a value, a "quoted value" or a range such as [1 TO 5]',
  bound: 'a number, a word, a "quoted value" or *',
};

const MESSAGES: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${label(expected)} but found ${describe(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    firstRedundant.tokenType === Colon ? "unexpected ':': a : in a value is escaped (a\\:b) or quoted" : `unexpected ${describe(firstRedundant)}`,
  buildNoViableAltMessage: ({ actual, ruleName }) => `expected ${EXPECTED_IN[ruleName] ?? 'a term, NOT or ('} but found ${describe(actual[0])}`,
  buildEarlyExitMessage: ({ actual, ruleName }) => `expected ${EXPECTED_IN[ruleName] ?? 'a term, NOT or ('} but found ${describe(actual[0])}`,
};

const combine = (kind: 'and' | 'or', operands: QueryNode[]): QueryNode => (operands.length === 1 ? (operands[0] as QueryNode) : { kind, operands });

/**
 * Chevrotain grammar of the subset. Precedence as in Lucene's syntax: NOT binds tightest, then AND
 * (also between two terms with no operator, AWS's default), then OR.
 */
class FleetQueryParser extends EmbeddedActionsParser {
  constructor() {
    super(ALL_TOKENS, { errorMessageProvider: MESSAGES, maxLookahead: 1 });
    this.performSelfAnalysis();
  }

  query = this.RULE('query', (): QueryNode => this.SUBRULE(this.disjunction));

  disjunction = this.RULE('disjunction', (): QueryNode => {
    const operands = [this.SUBRULE(this.conjunction)];
    this.MANY(() => {
      this.CONSUME(Or);
      operands.push(this.SUBRULE2(this.conjunction));
    });
    return this.ACTION(() => combine('or', operands));
  });

  conjunction = this.RULE('conjunction', (): QueryNode => {
    const operands = [this.SUBRULE(this.negation)];
    this.MANY(() => {
      this.OPTION(() => this.CONSUME(And));
      operands.push(this.SUBRULE2(this.negation));
    });
    return this.ACTION(() => combine('and', operands));
  });

  /** NOT NOT x is a loop, not recursion. */
  negation = this.RULE('negation', (): QueryNode => {
    let nots = 0;
    this.MANY(() => {
      this.CONSUME(Not);
      nots += 1;
    });
    const operand = this.SUBRULE(this.primary);
    return this.ACTION(() => (nots % 2 === 1 ? { kind: 'not' as const, operand } : operand));
  });

  primary = this.RULE('primary', (): QueryNode =>
    this.OR([
      { ALT: () => {
        this.CONSUME(LParen);
        const inner = this.SUBRULE(this.disjunction);
        this.CONSUME(RParen);
        return inner;
      } },
      { ALT: () => this.SUBRULE(this.term) },
    ]),
  );

  term = this.RULE('term', (): QueryNode => {
    const field = this.CONSUME(Word);
    return this.OR([
      { ALT: () => {
        this.CONSUME(Colon);
        const condition = this.SUBRULE(this.condition);
        return this.ACTION(() => conditionTerm(field, condition));
      } },
      { ALT: () => {
        const operator = this.OR2([
          { ALT: () => this.CONSUME(GreaterEqual) },
          { ALT: () => this.CONSUME(LessEqual) },
          { ALT: () => this.CONSUME(Greater) },
          { ALT: () => this.CONSUME(Less) },
        ]);
        const value = this.CONSUME2(Word);
        return this.ACTION(() => comparisonTerm(field, operator, value));
      } },
    ]);
  });

  condition = this.RULE('condition', (): RawCondition =>
    this.OR([
      { ALT: () => ({ kind: 'word' as const, token: this.CONSUME(Word) }) },
      { ALT: () => ({ kind: 'phrase' as const, token: this.CONSUME(Quoted) }) },
      { ALT: () => {
        const open = this.OR2([{ ALT: () => this.CONSUME(LBracket) }, { ALT: () => this.CONSUME(LBrace) }]);
        const lower = this.SUBRULE(this.bound);
        this.CONSUME(To);
        const upper = this.SUBRULE2(this.bound);
        const close = this.OR3([{ ALT: () => this.CONSUME(RBracket) }, { ALT: () => this.CONSUME(RBrace) }]);
        return { kind: 'range' as const, open, lower, upper, close };
      } },
    ]),
  );

  bound = this.RULE('bound', (): IToken => this.OR([{ ALT: () => this.CONSUME(Word) }, { ALT: () => this.CONSUME(Quoted) }]));
}

const parser = new FleetQueryParser();

/** AWS's limits on a query, so that a query saved here is one AWS IoT would take too. */
function checkLimits(text: string, node: QueryNode): void {
  const terms = termsOf(node);
  const extra = terms[MAX_QUERY_TERMS];
  if (extra) throw new FleetQueryError(`a query has at most ${MAX_QUERY_TERMS} terms`, extra.position);
  const leading = terms.filter(hasLeadingWildcard);
  if (leading[1]) throw new FleetQueryError('only one term of a query may start with a wildcard', leading[1].position);
  if (leading[0] && text.length > MAX_LEADING_WILDCARD_QUERY_CHARS) {
    throw new FleetQueryError(`a query with a term that starts with a wildcard has at most ${MAX_LEADING_WILDCARD_QUERY_CHARS} characters`, leading[0].position);
  }
}

/** Parses and checks a dynamic group's query; throws FleetQueryError at the first problem. */
export function parseFleetQuery(text: string): QueryNode {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new FleetQueryError('the query is empty', positionAt(text, 0));
  parser.input = tokens;
  const node = parser.query();
  const error = parser.errors[0];
  if (error) {
    throw new FleetQueryError(error.message, parsingPosition(error.token, text));
  }
  checkLimits(text, node);
  return node;
}
