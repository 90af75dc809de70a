import { EmbeddedActionsParser, type IToken } from 'chevrotain';
import type { ArgumentNode, ExpressionNode, SelectItemNode, StatementNode } from './sql.ast.js';
import { positionAt, RuleSqlError, type SqlPosition } from './sql.error.js';
import { PARSE_MESSAGES, refusalOf, refuseSelectValue } from './sql.parse-errors.js';
import {
  ALL_TOKENS, And, As, Colon, Comma, Dot, DoubleQuoted, Equal, False, From, Greater, GreaterEqual, Identifier, LBrace, LBracket,
  Less, LessEqual, LParen, Minus, Not, NotEqual, Null, NumberLiteral, Or, Percent, Plus, QuotedIdentifier, quotedName, RBrace,
  RBracket, RParen, Select, SingleQuoted, Slash, Star, stringValue, tokenize, tokenPosition, True, Where,
} from './sql.lexer.js';
import type { BinaryOperator } from './sql.operators.js';

/** Expressions taller than this are refused: the compiled closures recurse once per level. */
export const MAX_EXPRESSION_DEPTH = 128;

const OPERATOR_OF: Readonly<Record<string, BinaryOperator>> = {
  Or: 'OR', And: 'AND', Equal: '=', NotEqual: '<>', Less: '<', LessEqual: '<=', Greater: '>', GreaterEqual: '>=',
  Plus: '+', Minus: '-', Star: '*', Slash: '/', Percent: '%',
};

/** A node with its height, refused when the expression grows taller than MAX_EXPRESSION_DEPTH. */
function node<T extends { position: SqlPosition }>(fields: T, ...children: Array<{ depth: number }>): T & { depth: number } {
  const depth = 1 + children.reduce((max, child) => Math.max(max, child.depth), 0);
  if (depth > MAX_EXPRESSION_DEPTH) throw new RuleSqlError(`the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels`, fields.position);
  return { ...fields, depth };
}

const binary = (operator: IToken, left: ExpressionNode, right: ExpressionNode): ExpressionNode =>
  node({ kind: 'binary', operator: OPERATOR_OF[operator.tokenType.name] as BinaryOperator, left, right, position: tokenPosition(operator) }, left, right);

const literal = (token: IToken, value: unknown): ExpressionNode => node({ kind: 'literal', value, position: tokenPosition(token) });

/** Chevrotain grammar of the subset; semantic code sits in ACTION so grammar recording skips it. */
class SqlParser extends EmbeddedActionsParser {
  constructor() {
    super(ALL_TOKENS, { errorMessageProvider: PARSE_MESSAGES, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  statement = this.RULE('statement', (): StatementNode => {
    this.CONSUME(Select);
    const items: SelectItemNode[] = [];
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => items.push(this.SUBRULE(this.selectItem)) });
    this.CONSUME(From);
    const filter = this.CONSUME(SingleQuoted);
    let where: ExpressionNode | undefined;
    this.OPTION(() => {
      this.CONSUME(Where);
      where = this.SUBRULE(this.expression);
    });
    return this.ACTION(() => ({
      items,
      topicFilter: { text: stringValue(filter.image), position: tokenPosition(filter), rawOffset: filter.startOffset + 1 },
      where,
    }));
  });

  selectItem = this.RULE('selectItem', (): SelectItemNode =>
    this.OR([
      { ALT: () => {
        const star = this.CONSUME(Star);
        return this.ACTION(() => ({ kind: 'star' as const, position: tokenPosition(star) }));
      } },
      { ALT: () => {
        const expression = this.SUBRULE(this.expression);
        let alias: string | undefined;
        this.OPTION(() => {
          this.CONSUME(As);
          alias = this.SUBRULE(this.name);
        });
        return this.ACTION(() => ({ kind: 'expression' as const, expression, alias, position: expression.position }));
      } },
    ]),
  );

  name = this.RULE('name', (): string =>
    this.OR([
      { ALT: () => this.CONSUME(Identifier).image },
      { ALT: () => {
        const token = this.CONSUME(QuotedIdentifier);
        return this.ACTION(() => quotedName(token.image));
      } },
    ]),
  );

  expression = this.RULE('expression', (): ExpressionNode => {
    let left = this.SUBRULE(this.conjunction);
    this.MANY(() => {
      const operator = this.CONSUME(Or);
      const right = this.SUBRULE2(this.conjunction);
      left = this.ACTION(() => binary(operator, left, right));
    });
    return left;
  });

  conjunction = this.RULE('conjunction', (): ExpressionNode => {
    let left = this.SUBRULE(this.negation);
    this.MANY(() => {
      const operator = this.CONSUME(And);
      const right = this.SUBRULE2(this.negation);
      left = this.ACTION(() => binary(operator, left, right));
    });
    return left;
  });

  /** NOT NOT x is a loop, not recursion, so a long run of NOTs cannot exhaust the parser's stack. */
  negation = this.RULE('negation', (): ExpressionNode => {
    const nots: IToken[] = [];
    this.MANY(() => nots.push(this.CONSUME(Not)));
    const operand = this.SUBRULE(this.comparison);
    return this.ACTION(() => nots.reduceRight((inner, not) => node({ kind: 'not' as const, operand: inner, position: tokenPosition(not) }, inner), operand));
  });

  comparison = this.RULE('comparison', (): ExpressionNode => {
    let left = this.SUBRULE(this.additive);
    this.OPTION(() => {
      const operator = this.OR([
        { ALT: () => this.CONSUME(Equal) },
        { ALT: () => this.CONSUME(NotEqual) },
        { ALT: () => this.CONSUME(Less) },
        { ALT: () => this.CONSUME(LessEqual) },
        { ALT: () => this.CONSUME(Greater) },
        { ALT: () => this.CONSUME(GreaterEqual) },
      ]);
      const right = this.SUBRULE2(this.additive);
      left = this.ACTION(() => binary(operator, left, right));
    });
    return left;
  });

  additive = this.RULE('additive', (): ExpressionNode => {
    let left = this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      const operator = this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]);
      const right = this.SUBRULE2(this.multiplicative);
      left = this.ACTION(() => binary(operator, left, right));
    });
    return left;
  });

  multiplicative = this.RULE('multiplicative', (): ExpressionNode => {
    let left = this.SUBRULE(this.signed);
    this.MANY(() => {
      const operator = this.OR([{ ALT: () => this.CONSUME(Star) }, { ALT: () => this.CONSUME(Slash) }, { ALT: () => this.CONSUME(Percent) }]);
      const right = this.SUBRULE2(this.signed);
      left = this.ACTION(() => binary(operator, left, right));
    });
    return left;
  });

  signed = this.RULE('signed', (): ExpressionNode => {
    const minuses: IToken[] = [];
    this.MANY(() => minuses.push(this.CONSUME(Minus)));
    const operand = this.SUBRULE(this.postfix);
    return this.ACTION(() =>
      minuses.reduceRight((inner, minus) => node({ kind: 'negate' as const, operand: inner, position: tokenPosition(minus) }, inner), operand),
    );
  });

  /** `a.b.c` and `a[0]`: field access on whatever the primary gives. */
  postfix = this.RULE('postfix', (): ExpressionNode => {
    let base = this.SUBRULE(this.primary);
    this.MANY(() =>
      this.OR([
        { ALT: () => {
          const dot = this.CONSUME(Dot);
          const name = this.SUBRULE(this.name);
          base = this.ACTION(() => node({ kind: 'member' as const, object: base, name, position: tokenPosition(dot) }, base));
        } },
        { ALT: () => {
          const open = this.CONSUME(LBracket);
          const index = this.SUBRULE(this.expression);
          this.CONSUME(RBracket);
          base = this.ACTION(() => node({ kind: 'index' as const, object: base, index, position: tokenPosition(open) }, base, index));
        } },
      ]),
    );
    return base;
  });

  primary = this.RULE('primary', (): ExpressionNode =>
    this.OR([
      { ALT: () => {
        const token = this.CONSUME(NumberLiteral);
        return this.ACTION(() => numberLiteral(token));
      } },
      { ALT: () => {
        const token = this.OR2([{ ALT: () => this.CONSUME(SingleQuoted) }, { ALT: () => this.CONSUME(DoubleQuoted) }]);
        return this.ACTION(() => literal(token, stringValue(token.image)));
      } },
      { ALT: () => {
        const token = this.CONSUME(True);
        return this.ACTION(() => literal(token, true));
      } },
      { ALT: () => {
        const token = this.CONSUME(False);
        return this.ACTION(() => literal(token, false));
      } },
      { ALT: () => {
        const token = this.CONSUME(Null);
        return this.ACTION(() => literal(token, null));
      } },
      { ALT: () => this.SUBRULE(this.fieldOrCall) },
      { ALT: () => {
        const token = this.CONSUME(QuotedIdentifier);
        return this.ACTION(() => node({ kind: 'field' as const, name: quotedName(token.image), position: tokenPosition(token) }));
      } },
      { ALT: () => {
        this.CONSUME(LParen);
        const inner = this.SUBRULE(this.expression);
        this.CONSUME(RParen);
        return inner;
      } },
      { ALT: () => this.SUBRULE(this.objectLiteral) },
      { ALT: () => this.SUBRULE(this.arrayLiteral) },
    ]),
  );

  fieldOrCall = this.RULE('fieldOrCall', (): ExpressionNode => {
    const name = this.CONSUME(Identifier);
    const args: ArgumentNode[] = [];
    let call = false;
    this.OPTION(() => {
      this.CONSUME(LParen);
      call = true;
      this.MANY_SEP({ SEP: Comma, DEF: () => args.push(this.SUBRULE(this.argument)) });
      this.CONSUME(RParen);
    });
    return this.ACTION(() =>
      call
        ? node({ kind: 'call' as const, name: name.image, args, position: tokenPosition(name) }, ...args)
        : node({ kind: 'field' as const, name: name.image, position: tokenPosition(name) }),
    );
  });

  argument = this.RULE('argument', (): ArgumentNode =>
    this.OR([
      { ALT: () => {
        const star = this.CONSUME(Star);
        return this.ACTION(() => node({ kind: 'payload' as const, position: tokenPosition(star) }));
      } },
      { ALT: () => this.SUBRULE(this.expression) },
    ]),
  );

  objectLiteral = this.RULE('objectLiteral', (): ExpressionNode => {
    const open = this.CONSUME(LBrace);
    const entries: Array<{ key: string; value: ExpressionNode }> = [];
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        const key = this.SUBRULE(this.objectKey);
        this.CONSUME(Colon);
        const value = this.SUBRULE(this.expression);
        entries.push({ key, value });
      },
    });
    this.CONSUME(RBrace);
    return this.ACTION(() => node({ kind: 'object' as const, entries, position: tokenPosition(open) }, ...entries.map((entry) => entry.value)));
  });

  objectKey = this.RULE('objectKey', (): string =>
    this.OR([
      { ALT: () => {
        const token = this.OR2([{ ALT: () => this.CONSUME(SingleQuoted) }, { ALT: () => this.CONSUME(DoubleQuoted) }]);
        return this.ACTION(() => stringValue(token.image));
      } },
      { ALT: () => this.SUBRULE(this.name) },
    ]),
  );

  arrayLiteral = this.RULE('arrayLiteral', (): ExpressionNode => {
    const open = this.CONSUME(LBracket);
    const items: ExpressionNode[] = [];
    this.MANY_SEP({ SEP: Comma, DEF: () => items.push(this.SUBRULE(this.expression)) });
    this.CONSUME(RBracket);
    return this.ACTION(() => node({ kind: 'array' as const, items, position: tokenPosition(open) }, ...items));
  });
}

function numberLiteral(token: IToken): ExpressionNode {
  const value = Number(token.image);
  if (!Number.isFinite(value)) throw new RuleSqlError(`the number ${token.image} is out of range`, tokenPosition(token));
  return literal(token, value);
}

const parser = new SqlParser();

/** Parses a whole statement; throws RuleSqlError at the first problem. */
export function parseStatement(text: string): StatementNode {
  const tokens = tokenize(text);
  refuseSelectValue(tokens);
  parser.input = tokens;
  const statement = parser.statement();
  throwFirstError(text, tokens);
  return statement;
}

/** Parses one expression (a substitution template's `${...}`), positions relative to `text`. */
export function parseExpression(text: string): ExpressionNode {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new RuleSqlError('empty expression', positionAt(text, 0));
  parser.input = tokens;
  const expression = parser.expression();
  throwFirstError(text, tokens);
  return expression;
}

function throwFirstError(text: string, tokens: IToken[]): void {
  const error = parser.errors[0];
  if (error) throw refusalOf(error, text, tokens);
}
