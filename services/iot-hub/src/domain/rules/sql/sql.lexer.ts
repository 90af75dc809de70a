import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import { lexingPosition, punctuation, tokenPosition } from '../../text-position.js';
import { RuleSqlError } from './sql.error.js';

export { tokenPosition } from '../../text-position.js';

/** The tokens of the hub's AWS IoT SQL subset. Keywords are case-insensitive, as AWS's are. */
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
/** `name with-dashes` in backticks: a hub extension; AWS itself reads such keys with get(*, 'name'). */
export const QuotedIdentifier = createToken({ name: 'QuotedIdentifier', pattern: /`(?:[^`]|``)+`/, label: 'a `quoted name`' });

const keyword = (word: string) => createToken({ name: word, pattern: new RegExp(word, 'i'), longer_alt: Identifier, label: word.toUpperCase() });
export const Select = keyword('Select');
export const From = keyword('From');
export const Where = keyword('Where');
export const As = keyword('As');
export const And = keyword('And');
export const Or = keyword('Or');
export const Not = keyword('Not');
export const True = keyword('True');
export const False = keyword('False');
export const Null = keyword('Null');

/** AWS's examples quote strings both ways (`concat("con", "cat")`); FROM takes single quotes only. */
export const SingleQuoted = createToken({ name: 'SingleQuoted', pattern: /'(?:[^'\\]|\\[\s\S])*'/, label: "a 'string'" });
export const DoubleQuoted = createToken({ name: 'DoubleQuoted', pattern: /"(?:[^"\\]|\\[\s\S])*"/, label: 'a "string"' });
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, label: 'a number' });

export const NotEqual = punctuation('NotEqual', '<>');
export const LessEqual = punctuation('LessEqual', '<=');
export const GreaterEqual = punctuation('GreaterEqual', '>=');
export const Less = punctuation('Less', '<');
export const Greater = punctuation('Greater', '>');
export const Equal = punctuation('Equal', '=');
export const Plus = punctuation('Plus', '+');
export const Minus = punctuation('Minus', '-');
export const Star = punctuation('Star', '*');
export const Slash = punctuation('Slash', '/');
export const Percent = punctuation('Percent', '%');
export const LParen = punctuation('LParen', '(');
export const RParen = punctuation('RParen', ')');
export const LBracket = punctuation('LBracket', '[');
export const RBracket = punctuation('RBracket', ']');
export const LBrace = punctuation('LBrace', '{');
export const RBrace = punctuation('RBrace', '}');
export const Comma = punctuation('Comma', ',');
export const Dot = punctuation('Dot', '.');
export const Colon = punctuation('Colon', ':');
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Select, From, Where, As, And, Or, Not, True, False, Null,
  Identifier, QuotedIdentifier, SingleQuoted, DoubleQuoted, NumberLiteral,
  NotEqual, LessEqual, GreaterEqual, Less, Greater, Equal,
  Plus, Minus, Star, Slash, Percent,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Dot, Colon,
];

/** Deeper brackets than this are refused before parsing, so a hostile statement cannot exhaust the stack. */
export const MAX_NESTING = 64;

const lexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false });

/** Tokens of `text`, or a RuleSqlError at the first character the SQL subset has no token for. */
export function tokenize(text: string): IToken[] {
  const result = lexer.tokenize(text);
  const error = result.errors[0];
  if (error) {
    const position = lexingPosition(error);
    const char = text[error.offset] ?? '';
    if (char === "'" || char === '"') throw new RuleSqlError(`unterminated string: the ${char} here has no closing ${char}`, position);
    if (char === '`') throw new RuleSqlError('unterminated quoted name: the ` here has no closing `', position);
    const hint = char === '#' ? ": a topic filter goes in single quotes, e.g. FROM 'things/#'" : '';
    throw new RuleSqlError(`unexpected character ${JSON.stringify(char)}${hint}`, position);
  }
  checkNesting(result.tokens);
  return result.tokens;
}

function checkNesting(tokens: IToken[]): void {
  let depth = 0;
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === LParen || type === LBracket || type === LBrace) {
      depth += 1;
      if (depth > MAX_NESTING) throw new RuleSqlError(`the statement nests brackets deeper than ${MAX_NESTING} levels`, tokenPosition(token));
    } else if (type === RParen || type === RBracket || type === RBrace) {
      depth = Math.max(0, depth - 1);
    }
  }
}

/** The text a string token stands for: quotes removed, backslash escapes applied. */
export function stringValue(image: string): string {
  return image.slice(1, -1).replace(/\\([\s\S])/g, (_match, char: string) => ESCAPES[char] ?? char);
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/** The name a backtick-quoted identifier stands for (`` `a``b` `` is a`b). */
export function quotedName(image: string): string {
  return image.slice(1, -1).replace(/``/g, '`');
}
