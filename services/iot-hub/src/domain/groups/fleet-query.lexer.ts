import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import { lexingPosition, punctuation, tokenPosition } from '../text-position.js';
import { FleetQueryError } from './fleet-query.error.js';


/**
 * The tokens of the hub's subset of AWS IoT fleet indexing query syntax
 * (https://docs.aws.amazon.com/iot/latest/developerguide/query-syntax.html). A word is a field
 * name or a value; `\` escapes the next character. Operators are upper case, as in Lucene's syntax
 * that AWS's follows: `and` is a word.
 */
export const Word = createToken({ name: 'Word', pattern: /(?:[^\s():"'=<>[\]{}\\]|\\[\s\S])+/, label: 'a field or value' });
export const Quoted = createToken({ name: 'Quoted', pattern: /"(?:[^"\\]|\\[\s\S])*"/, label: 'a "quoted value"' });

const keyword = (word: string) => createToken({ name: word, pattern: new RegExp(word), longer_alt: Word, label: word });
export const And = keyword('AND');
export const Or = keyword('OR');
export const Not = keyword('NOT');
export const To = keyword('TO');

export const GreaterEqual = punctuation('GreaterEqual', '>=');
export const LessEqual = punctuation('LessEqual', '<=');
export const Greater = punctuation('Greater', '>');
export const Less = punctuation('Less', '<');
export const Colon = punctuation('Colon', ':');
export const LParen = punctuation('LParen', '(');
export const RParen = punctuation('RParen', ')');
export const LBracket = punctuation('LBracket', '[');
export const RBracket = punctuation('RBracket', ']');
export const LBrace = punctuation('LBrace', '{');
export const RBrace = punctuation('RBrace', '}');
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, And, Or, Not, To, Word, Quoted,
  GreaterEqual, LessEqual, Greater, Less, Colon, LParen, RParen, LBracket, RBracket, LBrace, RBrace,
];

/** Deeper parentheses than this are refused before parsing, so a hostile query cannot exhaust the stack. */
const MAX_NESTING = 32;

const lexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false });

const CHARACTER_HINTS: Readonly<Record<string, string>> = {
  '"': 'unterminated quoted value: the " here has no closing "',
  "'": "unexpected character \"'\": quote values with double quotes, e.g. thingName:\"lamp 1\"",
  '=': 'unexpected character "=": a term is field:value, e.g. thingName:lamp-1',
  '\\': 'a \\ at the end escapes nothing',
};

/** Tokens of `text`, or a FleetQueryError at the first character the syntax has no token for. */
export function tokenize(text: string): IToken[] {
  const result = lexer.tokenize(text);
  const error = result.errors[0];
  if (error) {
    const char = text[error.offset] ?? '';
    const position = lexingPosition(error);
    throw new FleetQueryError(CHARACTER_HINTS[char] ?? `unexpected character ${JSON.stringify(char)}`, position);
  }
  checkNesting(result.tokens);
  return result.tokens;
}

function checkNesting(tokens: IToken[]): void {
  let depth = 0;
  for (const token of tokens) {
    if (token.tokenType === LParen) {
      depth += 1;
      if (depth > MAX_NESTING) throw new FleetQueryError(`the query nests parentheses deeper than ${MAX_NESTING} levels`, tokenPosition(token));
    } else if (token.tokenType === RParen) {
      depth = Math.max(0, depth - 1);
    }
  }
}

/** The text of a quoted value: quotes removed, backslash escapes applied. */
export function quotedText(image: string): string {
  return image.slice(1, -1).replace(/\\([\s\S])/g, '$1');
}
