import { compileStatement, RuleSqlError, SUPPORTED_FUNCTIONS } from '../src/domain/rules/sql/index.js';

/** The RuleSqlError `sql` is refused with. */
function refusal(sql: string): RuleSqlError {
  try {
    compileStatement(sql);
  } catch (error) {
    if (error instanceof RuleSqlError) return error;
    throw error;
  }
  throw new Error(`accepted: ${sql}`);
}

describe('statements the hub refuses when a rule is saved', () => {
  it.each<[string, string, string, number, number]>([
    ['no FROM', 'SELECT a', 'missing FROM', 1, 9],
    ['no FROM before WHERE', 'SELECT a WHERE a = 1', 'missing FROM', 1, 10],
    ['an unquoted FROM', 'SELECT a FROM things/+', 'FROM takes a topic filter in single quotes', 1, 15],
    ['an unquoted FROM with #', 'SELECT a FROM things/#', "unexpected character \"#\": a topic filter goes in single quotes", 1, 22],
    ['a double-quoted FROM', 'SELECT a FROM "a/b"', 'FROM takes a topic filter in single quotes', 1, 15],
    ['an empty filter', "SELECT a FROM ''", 'the FROM topic filter is empty', 1, 15],
    ['# not last', "SELECT a FROM 'a/#/b'", "'#' in a topic filter must be the whole last level", 1, 18],
    ['# inside a level', "SELECT a FROM 'a/b#'", "'#' in a topic filter must be the whole last level", 1, 19],
    ['+ inside a level', "SELECT a FROM 'a/b+/c'", "'+' in a topic filter must be a whole level", 1, 19],
    ['an unknown function', "SELECT foo(a) AS x FROM 'a'", `function foo is not supported; the hub runs: ${SUPPORTED_FUNCTIONS}`, 1, 8],
    ['a function AWS has but the hub does not', "SELECT * FROM 'a' WHERE startswith(a, 'x')", 'function startswith is not supported', 1, 25],
    ['topic with a string', "SELECT topic('a') AS t FROM 'a'", 'topic takes the number of a topic level', 1, 14],
    ['topic(0)', "SELECT topic(0) AS t FROM 'a'", 'topic takes the number of a topic level', 1, 14],
    ['topic with two arguments', "SELECT topic(1, 2) AS t FROM 'a'", 'topic takes 0 to 1 arguments, not 2', 1, 8],
    ['round()', "SELECT round() AS r FROM 'a'", 'round takes 1 argument, not 0', 1, 8],
    ['get with one argument', "SELECT get(a) AS r FROM 'a'", 'get takes 2 arguments, not 1', 1, 8],
    ['timestamp with an argument', "SELECT timestamp(1) AS r FROM 'a'", 'timestamp takes 0 arguments, not 1', 1, 8],
    ['JOIN', "SELECT a FROM 'a' JOIN b", 'JOIN is not supported', 1, 19],
    ['GROUP BY', "SELECT a FROM 'a' WHERE b = 1 GROUP BY c", 'GROUP BY is not supported', 1, 31],
    ['ORDER BY', "SELECT a FROM 'a' ORDER BY a", 'ORDER BY is not supported', 1, 19],
    ['CASE', "SELECT CASE a WHEN 1 THEN 2 END AS x FROM 'a'", 'CASE is not supported', 1, 8],
    ['IN', "SELECT * FROM 'a' WHERE a IN (1, 2)", 'IN is not supported', 1, 27],
    ['a nested SELECT', "SELECT (SELECT a FROM 'b') AS x FROM 'a'", 'nested SELECT is not supported', 1, 9],
    ['SELECT VALUE', "SELECT VALUE color FROM 'a'", 'SELECT VALUE is not supported', 1, 8],
    ['trailing garbage', "SELECT a FROM 'a' garbage", "unexpected 'garbage' after the end of the statement", 1, 19],
    ['trailing garbage after WHERE', "SELECT a FROM 'a' WHERE a = 1 2", "unexpected '2' after the end of the statement", 1, 31],
    ['an unterminated string', "SELECT a FROM 'a/b", "unterminated string: the ' here has no closing '", 1, 15],
    ['an unterminated double-quoted string', 'SELECT "abc AS x FROM \'a\'', 'unterminated string: the " here has no closing "', 1, 8],
    ['an unterminated quoted name', "SELECT `abc FROM 'a'", 'unterminated quoted name', 1, 8],
    ['a character SQL has no use for', "SELECT a ; FROM 'a'", 'unexpected character ";"', 1, 10],
    ['an empty item', "SELECT a, FROM 'a'", "expected * or an expression but found 'FROM'", 1, 11],
    ['a dangling operator', "SELECT a + AS x FROM 'a'", "expected an expression but found 'AS'", 1, 12],
    ['an empty WHERE', "SELECT a FROM 'a' WHERE", 'expected an expression but found the end of the statement', 1, 24],
    ['AS without a name', "SELECT a AS FROM 'x'", "expected a name but found 'FROM'", 1, 13],
    ['an unnamed expression', "SELECT 1 + 2 FROM 'a'", 'this SELECT item needs a name for its result: add AS name', 1, 10],
    ['an unnamed call', "SELECT topic(2) FROM 'a'", 'this SELECT item needs a name', 1, 8],
    ['a chained comparison', "SELECT * FROM 'a' WHERE 1 < 2 < 3", "unexpected '<' after the end of the statement", 1, 31],
    ['a number out of range', "SELECT 1e999 AS x FROM 'a'", 'the number 1e999 is out of range', 1, 8],
    ['a later line', "SELECT a\nFROM 'x'\nWHERE foo(1) = 2", 'function foo is not supported', 3, 7],
  ])('%s', (_case, sql, message, line, column) => {
    const error = refusal(sql);
    expect(error.message).toContain(message);
    expect(error.message.endsWith(` (line ${line}, column ${column})`)).toBe(true);
    expect(error.position).toEqual({ offset: expect.any(Number), line, column });
  });

  it('gives the offset of the position in the statement', () => {
    expect(refusal("SELECT a FROM 'a'\n  WHERE b = nope(1)").position).toEqual({ offset: 30, line: 2, column: 13 });
  });

  it('caps bracket nesting before parsing, so a hostile statement cannot exhaust the stack', () => {
    const deep = `SELECT ${'('.repeat(65)}a${')'.repeat(65)} AS x FROM 'a'`;
    expect(refusal(deep).message).toMatch(/^the statement nests brackets deeper than 64 levels \(line 1, column 72\)$/);
    expect(() => compileStatement(`SELECT ${'('.repeat(64)}a${')'.repeat(64)} AS x FROM 'a'`)).not.toThrow();
  });

  it('caps the height of an expression built from loops (operator chains, NOT and minus runs)', () => {
    const sum = Array.from({ length: 200 }, () => 'a').join(' + ');
    expect(refusal(`SELECT ${sum} AS x FROM 'a'`).message).toMatch(/^the expression nests deeper than 128 levels/);
    expect(refusal(`SELECT * FROM 'a' WHERE ${'NOT '.repeat(100_000)}true`).message).toMatch(/^the expression nests deeper than 128 levels/);
    expect(refusal(`SELECT ${'-'.repeat(100_000)}1 AS x FROM 'a'`).message).toMatch(/^the expression nests deeper than 128 levels/);
  });
});
