/**
 * The clauses of a rule statement, found by a textual scan: AWS mode must add the workspace scope
 * to the WHERE and, for the telemetry table, replace the SELECT. The hub has already parsed and
 * validated the statement with its own parser, so this is not a second SQL parser: it only finds
 * the top-level `SELECT`, `FROM '<filter>'` and `WHERE` keywords outside quoted text and
 * brackets, and refuses anything it cannot place with certainty.
 */
export interface RuleSqlClauses {
  /** The SELECT list as written, trimmed (`*`, `temperature AS t`, ...). */
  select: string;
  /** The FROM literal as written, quotes included (`'telemetry/+'`). */
  fromLiteral: string;
  /** The statement up to the end of the FROM literal. */
  head: string;
  /** The WHERE condition as written, trimmed; absent without a WHERE. */
  where?: string;
}

/** A statement whose clauses cannot be placed with certainty. */
export class RuleSqlShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleSqlShapeError';
  }
}

interface Scan {
  /** The statement with the inside of every quoted span blanked, so keywords in strings vanish. */
  blanked: string;
  /** Per character: outside every bracket. */
  topLevel: boolean[];
}

const QUOTES = new Set(["'", '"', '`']);
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);

/**
 * Blanks quoted spans and marks bracket depth. `backslashEscapes` chooses whether `\'` ends a
 * string: the AWS IoT SQL reference does not say, so the caller scans both ways and refuses a
 * statement on which the two readings disagree. A doubled quote (`'it''s'`) reads as two adjacent
 * strings either way, which blanks the same characters.
 */
function scan(sql: string, backslashEscapes: boolean): Scan {
  const blanked: string[] = [];
  const topLevel: boolean[] = [];
  const stack: string[] = [];
  let quote: string | undefined;
  for (let index = 0; index < sql.length; index += 1) {
    const char = sql.charAt(index);
    if (quote) {
      const escaped = backslashEscapes && char === '\\' && index + 1 < sql.length;
      const closes = char === quote;
      blanked.push(closes ? char : ' ');
      topLevel.push(stack.length === 0);
      if (escaped) {
        blanked.push(' ');
        topLevel.push(stack.length === 0);
        index += 1;
      } else if (closes) quote = undefined;
      continue;
    }
    if (QUOTES.has(char)) quote = char;
    else if (char === '-' && sql.charAt(index + 1) === '-') throw new RuleSqlShapeError('a comment (--) is not supported in AWS mode');
    else if (char === '/' && sql.charAt(index + 1) === '*') throw new RuleSqlShapeError('a comment (/*) is not supported in AWS mode');
    else if (OPENERS[char]) stack.push(OPENERS[char]);
    else if (CLOSERS.has(char) && stack.pop() !== char) throw new RuleSqlShapeError(`an unbalanced "${char}" at offset ${index}`);
    blanked.push(char);
    topLevel.push(stack.length === 0 && !CLOSERS.has(char));
  }
  if (quote) throw new RuleSqlShapeError(`an unterminated ${quote} string`);
  if (stack.length > 0) throw new RuleSqlShapeError(`an unclosed bracket (expected "${stack.at(-1)}")`);
  return { blanked: blanked.join(''), topLevel };
}

/** Offsets of a keyword as a whole top-level word, not a field path's part (`a.from`). */
function keywordOffsets({ blanked, topLevel }: Scan, keyword: string): number[] {
  const offsets: number[] = [];
  for (const match of blanked.matchAll(new RegExp(`(?<![A-Za-z0-9_.$])${keyword}(?![A-Za-z0-9_])`, 'gi'))) {
    if (topLevel[match.index]) offsets.push(match.index);
  }
  return offsets;
}

function clausesOf(sql: string, backslashEscapes: boolean): RuleSqlClauses {
  const scanned = scan(sql, backslashEscapes);
  const [select, ...moreSelects] = keywordOffsets(scanned, 'SELECT');
  const [from, ...moreFroms] = keywordOffsets(scanned, 'FROM');
  const wheres = keywordOffsets(scanned, 'WHERE');
  if (select === undefined || sql.slice(0, select).trim() !== '' || moreSelects.length > 0) {
    throw new RuleSqlShapeError('the statement must be one SELECT');
  }
  if (from === undefined || moreFroms.length > 0) throw new RuleSqlShapeError('the statement must have exactly one top-level FROM');
  if (wheres.length > 1) throw new RuleSqlShapeError('the statement has more than one top-level WHERE');
  const literal = /^\s*('[^']*')/.exec(scanned.blanked.slice(from + 4));
  if (!literal?.[1]) throw new RuleSqlShapeError("FROM must be followed by a quoted topic filter ('...')");
  const literalStart = from + 4 + literal[0].length - literal[1].length;
  const literalEnd = literalStart + literal[1].length;
  const where = wheres[0];
  const between = sql.slice(literalEnd, where ?? sql.length);
  if (between.trim() !== '') throw new RuleSqlShapeError(`unexpected text after the FROM topic filter: "${between.trim().slice(0, 40)}"`);
  if (where !== undefined && where < from) throw new RuleSqlShapeError('WHERE comes before FROM');
  const condition = where === undefined ? undefined : sql.slice(where + 5).trim();
  if (condition === '') throw new RuleSqlShapeError('WHERE has no condition');
  return {
    select: sql.slice(select + 6, from).trim(),
    fromLiteral: sql.slice(literalStart, literalEnd),
    head: sql.slice(0, literalEnd),
    ...(condition === undefined ? {} : { where: condition }),
  };
}

/**
 * The statement's clauses. Scanned twice, with and without backslash escapes in strings; if the
 * two readings place a clause differently, a string could hide or fake a keyword, so the
 * statement is refused rather than scoped at a guess.
 */
export function ruleSqlClauses(sql: string): RuleSqlClauses {
  const plain = clausesOf(sql, false);
  const escaped = clausesOf(sql, true);
  if (JSON.stringify(plain) !== JSON.stringify(escaped)) {
    throw new RuleSqlShapeError('a backslash before a quote makes the clauses ambiguous');
  }
  return plain;
}

/** True when a function is called outside quoted text (`get_registry_data(`), case-insensitive. */
export function callsFunction(sql: string, name: string): boolean {
  const { blanked } = scan(sql, false);
  return new RegExp(`(?<![A-Za-z0-9_])${name}\\s*\\(`, 'i').test(blanked);
}
