import { positionAt, RuleSqlError } from './sql.error.js';
import { parseExpression } from './sql.parser.js';
import { compileExpression } from './expression.compiler.js';
import { contextOf, type Evaluator, type RuleMessage } from './rule-message.model.js';
import { toText } from './sql.values.js';

/**
 * AWS substitution templates (https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html):
 * each `${expression}` is evaluated against the incoming message, not the SELECT's result, so SELECT
 * aliases are not visible. Undefined (and Null) render as the empty string.
 */
export interface CompiledTemplate {
  readonly text: string;
  render(message: RuleMessage): string;
}

type Part = string | Evaluator;

export function compileTemplate(text: string): CompiledTemplate {
  const parts: Part[] = [];
  let cursor = 0;
  for (let start = text.indexOf('${'); start !== -1; start = text.indexOf('${', cursor)) {
    if (start > cursor) parts.push(text.slice(cursor, start));
    const end = closingBrace(text, start + 2);
    if (end === -1) throw new RuleSqlError('unterminated substitution: the ${ here has no closing }', positionAt(text, start));
    parts.push(compilePart(text, start + 2, end));
    cursor = end + 1;
  }
  if (cursor < text.length) parts.push(text.slice(cursor));
  const [only] = parts;
  if (parts.length === 0) return { text, render: () => '' };
  if (parts.length === 1 && typeof only === 'string') return { text, render: () => only };
  return { text, render: (message) => render(parts, message) };
}

function render(parts: Part[], message: RuleMessage): string {
  const context = contextOf(message);
  let output = '';
  for (const part of parts) output += typeof part === 'string' ? part : (toText(part(context)) ?? '');
  return output;
}

/** The `}` that closes the substitution at `from`, skipping braces inside strings and object literals. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let index = from; index < text.length; index += 1) {
    const char = text[index];
    if (quote) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char;
    } else if (char === '{') {
      depth += 1;
    } else if (char === '}') {
      if (depth === 0) return index;
      depth -= 1;
    }
  }
  return -1;
}

/** Parses one `${...}`; an error's position is moved from the expression to the whole template. */
function compilePart(text: string, start: number, end: number): Evaluator {
  try {
    return compileExpression(parseExpression(text.slice(start, end)));
  } catch (error) {
    if (!(error instanceof RuleSqlError)) throw error;
    const position = positionAt(text, start + error.position.offset);
    const problem = error.message.slice(0, error.message.lastIndexOf(' (line '));
    throw new RuleSqlError(problem, position);
  }
}
