import fc from 'fast-check';
import { compileStatement, compileTemplate, NOT_JSON, RuleSqlError, type CompiledStatement, type RuleMessage, type RuleResult } from '../src/domain/rules/sql/index.js';
import { BINARY_OPERATORS, withConstantRight, type BinaryOperator } from '../src/domain/rules/sql/sql.operators.js';

/**
 * Fuzz tests of the rules SQL: whatever text a user saves, compiling either succeeds or throws a
 * RuleSqlError with a sane position (never another error, never a hang); whatever a device
 * publishes, a compiled statement evaluates without throwing.
 */

function compileOrRefuse(sql: string): CompiledStatement | undefined {
  try {
    return compileStatement(sql);
  } catch (error) {
    if (!(error instanceof RuleSqlError)) throw error;
    const { offset, line, column } = error.position;
    if (!(offset >= 0 && offset <= sql.length && line >= 1 && column >= 1)) throw new Error(`bad position ${JSON.stringify(error.position)}`);
    if (!/ \(line \d+, column \d+\)$/.test(error.message)) throw new Error(`message without position: ${error.message}`);
    return undefined;
  }
}

const message = (json: unknown, payload: Buffer): RuleMessage => ({
  topic: 'things/lamp-1/telemetry', payload, json, clientId: 'lamp-1', principal: 'cert-abc', timestamp: 1_700_000_000_000,
});

/** JSON payloads (objects with the fields the generated statements read, and any JSON) and raw bytes. */
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const messages = fc.oneof(
  fc.record({ a: fc.jsonValue(), b: fc.jsonValue(), temperature: fc.oneof(number, fc.string()), device: fc.jsonValue() }).map((json) => message(json, Buffer.from(JSON.stringify(json)))),
  fc.jsonValue().map((json) => message(json, Buffer.from(JSON.stringify(json)))),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => message(NOT_JSON, Buffer.from(bytes))),
);

/** A result must be one of the three shapes, and serializable as the actions will serialize it. */
function checkResult(result: RuleResult): void {
  if (!result.matched) return;
  if ('binary' in result) expect(Buffer.isBuffer(result.binary)).toBe(true);
  else expect(typeof JSON.stringify(result.value)).toBe('string');
}

const TOKENS = [
  'SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL', 'VALUE', 'CASE', 'JOIN', 'GROUP', '*', ',', '(', ')',
  '[', ']', '{', '}', '.', ':', '=', '<>', '<', '<=', '>', '>=', '+', '-', '/', '%', "'a/+/c'", "'#'", "'x'", '"y"', '`k-1`', 'a', 'b',
  'temperature', 'device', '0', '1', '2.5', '1e3', 'topic', 'topic(2)', 'get', 'concat', 'round', 'lower', 'newuuid()', 'clientid()', "'", '"', '${',
];

describe('rules SQL fuzzing', () => {
  it('compiles or refuses random text, with a position', () => {
    const text = fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ maxLength: 80 }).map((tail) => `SELECT ${tail}`));
    fc.assert(fc.property(text, (sql) => void compileOrRefuse(sql)), { numRuns: 1500 });
  });

  it('compiles or refuses random token sequences, and what compiles evaluates without throwing', () => {
    const statements = fc.tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }), fc.boolean()).map(([tokens, withFrom]) => {
      const body = tokens.join(' ');
      return withFrom ? `SELECT ${body.replace(/ WHERE| FROM/, '')} FROM 'things/#' ${tokens.includes('WHERE') ? '' : 'WHERE '}${body}` : `SELECT ${body}`;
    });
    fc.assert(
      fc.property(statements, fc.array(messages, { minLength: 1, maxLength: 3 }), (sql, inputs) => {
        const statement = compileOrRefuse(sql);
        for (const input of inputs) if (statement) checkResult(statement.evaluate(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('compiles every statement built from the grammar and evaluates it over random payloads without throwing', () => {
    const { expression } = fc.letrec<{ expression: string; leaf: string }>((tie) => ({
      leaf: fc.oneof(
        fc.constantFrom('a', 'b', 'temperature', 'device.id', 'a[0]', 'device.x.y', '`a`', 'NULL', 'TRUE', 'false', "'7'", '"x"', 'topic()', 'clientid()', 'principal()', 'timestamp()', 'newuuid()'),
        fc.integer({ min: 1, max: 5 }).map((level) => `topic(${level})`),
        number.map((value) => (Object.is(value, -0) ? '0' : String(value)).replace('Infinity', '1')),
      ),
      expression: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tie('leaf'),
        fc.tuple(tie('expression'), fc.constantFrom('+', '-', '*', '/', '%', '=', '<>', '<', '<=', '>', '>=', 'AND', 'OR'), tie('expression')).map(([l, op, r]) => `(${l} ${op} ${r})`),
        tie('expression').map((inner) => `(NOT ${inner})`),
        tie('expression').map((inner) => `-(${inner})`),
        fc.tuple(fc.constantFrom('abs', 'ceil', 'floor', 'round', 'lower', 'upper', 'isUndefined'), tie('expression')).map(([name, arg]) => `${name}(${arg})`),
        fc.tuple(tie('expression'), tie('expression')).map(([collection, key]) => `get(${collection}, ${key})`),
        fc.array(tie('expression'), { maxLength: 3 }).map((args) => `concat(${args.join(', ')})`),
        fc.array(tie('expression'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
        fc.array(fc.tuple(fc.constantFrom("'k'", "'state'", '"q"'), tie('expression')), { maxLength: 3 }).map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
        fc.tuple(tie('expression'), tie('expression')).map(([array, index]) => `(${array})[${index}]`),
      ),
    }));
    const items = fc.array(expression, { minLength: 1, maxLength: 3 }).map((list) => list.map((item, index) => `${item} AS n${index}`));
    const statements = fc.tuple(fc.boolean(), items, fc.option(expression)).map(
      ([star, list, where]) => `SELECT ${[...(star ? ['*'] : []), ...list].join(', ')} FROM 'things/+/telemetry'${where === null ? '' : ` WHERE ${where}`}`,
    );
    fc.assert(
      fc.property(statements, fc.array(messages, { minLength: 1, maxLength: 3 }), (sql, inputs) => {
        const statement = compileStatement(sql);
        for (const input of inputs) checkResult(statement.evaluate(input));
      }),
      { numRuns: 1500 },
    );
  });

  it('compiles or refuses random templates, and what compiles renders without throwing', () => {
    const templates = fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...TOKENS)), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(templates, messages, (text, input) => {
        try {
          expect(typeof compileTemplate(text).render(input)).toBe('string');
        } catch (error) {
          if (!(error instanceof RuleSqlError)) throw error;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the same result with a constant right side as the operator itself, for any left value', () => {
    const operators = fc.constantFrom<BinaryOperator>(...(Object.keys(BINARY_OPERATORS) as BinaryOperator[]));
    const constants = fc.oneof(number, fc.string({ maxLength: 6 }), fc.constantFrom('25', '-1.5e2', 'C', '', 'true'), fc.boolean(), fc.constant(null), fc.jsonValue());
    const lefts = fc.oneof(constants, fc.constant(undefined), fc.jsonValue());
    fc.assert(
      fc.property(operators, constants, lefts, fc.nat(2), (operator, right, other, pick) => {
        // Often the constant itself or its text, where "<" and "<=" (or "=" across types) differ.
        const left = [other, right, typeof right === 'number' ? String(right) : right][pick];
        const shortcut = withConstantRight(operator, right);
        if (shortcut) expect(shortcut(left)).toStrictEqual(BINARY_OPERATORS[operator](left, right));
      }),
      { numRuns: 20_000 },
    );
  });
});
