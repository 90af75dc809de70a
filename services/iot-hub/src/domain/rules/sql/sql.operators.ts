import { jsonEquals, noNegativeZero, toBoolean, toDecimal, toText, type SqlValue } from './sql.values.js';

/**
 * The operators of AWS IoT SQL with the type tables of AWS's "Operators" page
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html). Every operator is
 * total: a type it has no row for gives Undefined, never an exception.
 */
export type BinaryOperator = 'OR' | 'AND' | '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

/** AND/OR take Booleans or the strings "true"/"false"; any other operand makes the result Undefined. */
function and(left: SqlValue, right: SqlValue): SqlValue {
  const l = toBoolean(left);
  const r = toBoolean(right);
  return l === undefined || r === undefined ? undefined : l && r;
}

function or(left: SqlValue, right: SqlValue): SqlValue {
  const l = toBoolean(left);
  const r = toBoolean(right);
  return l === undefined || r === undefined ? undefined : l || r;
}

export function not(operand: SqlValue): SqlValue {
  const value = toBoolean(operand);
  return value === undefined ? undefined : !value;
}

/** "=": Undefined on either side is Undefined; values of different types are not equal. */
function equals(left: SqlValue, right: SqlValue): SqlValue {
  if (left === undefined || right === undefined) return undefined;
  if (left === null || right === null) return left === right;
  if (typeof left !== typeof right || Array.isArray(left) !== Array.isArray(right)) return false;
  return typeof left === 'object' ? jsonEquals(left, right) : left === right;
}

function notEquals(left: SqlValue, right: SqlValue): SqlValue {
  const equal = equals(left, right);
  return equal === undefined ? undefined : !equal;
}

/** <, <=, >, >= convert both sides to Decimal (numeric strings included) and compare. */
function compare(test: (l: number, r: number) => boolean): (left: SqlValue, right: SqlValue) => SqlValue {
  return (left, right) => {
    const l = toDecimal(left);
    const r = toDecimal(right);
    return l === undefined || r === undefined ? undefined : test(l, r);
  };
}

/** "+" concatenates when either side is a String (the other converted to a string), else adds numbers. */
function plus(left: SqlValue, right: SqlValue): SqlValue {
  if (typeof left === 'string') {
    const text = toText(right);
    return text === undefined ? undefined : left + text;
  }
  if (typeof right === 'string') {
    const text = toText(left);
    return text === undefined ? undefined : text + right;
  }
  if (typeof left === 'number' && typeof right === 'number') return finite(left + right);
  return undefined;
}

/** -, *, /, %: Int with Int stays Int; numbers and numeric strings give a Decimal; anything else Undefined. */
function arithmetic(intOp: (l: number, r: number) => number, decimalOp: (l: number, r: number) => number) {
  return (left: SqlValue, right: SqlValue): SqlValue => {
    if (typeof left === 'number' && typeof right === 'number' && Number.isInteger(left) && Number.isInteger(right)) {
      return finite(intOp(left, right));
    }
    const l = toDecimal(left);
    const r = toDecimal(right);
    return l === undefined || r === undefined ? undefined : finite(decimalOp(l, r));
  };
}

/** Overflow and division by zero are Undefined (AWS has no Infinity or NaN in JSON). */
function finite(value: number): SqlValue {
  return Number.isFinite(value) ? noNegativeZero(value) : undefined;
}

const subtract = (l: number, r: number) => l - r;
const multiply = (l: number, r: number) => l * r;
const divide = (l: number, r: number) => (r === 0 ? Number.NaN : l / r);
/** Int division truncates toward zero, as the rules engine's integer arithmetic does. */
const divideInts = (l: number, r: number) => (r === 0 ? Number.NaN : Math.trunc(l / r));
const remainder = (l: number, r: number) => (r === 0 ? Number.NaN : l % r);

export const BINARY_OPERATORS: Readonly<Record<BinaryOperator, (left: SqlValue, right: SqlValue) => SqlValue>> = {
  OR: or,
  AND: and,
  '=': equals,
  '<>': notEquals,
  '<': compare((l, r) => l < r),
  '<=': compare((l, r) => l <= r),
  '>': compare((l, r) => l > r),
  '>=': compare((l, r) => l >= r),
  '+': plus,
  '-': arithmetic(subtract, subtract),
  '*': arithmetic(multiply, multiply),
  '/': arithmetic(divideInts, divide),
  '%': arithmetic(remainder, remainder),
};

/**
 * The operator with a constant right side, for the common `temperature > 25.8` and `unit = 'C'`:
 * the constant is converted once, and the result is the same as the operator's. Undefined when
 * there is no shortcut for the operator or the constant.
 */
export function withConstantRight(operator: BinaryOperator, right: SqlValue): ((left: SqlValue) => SqlValue) | undefined {
  // "=" with a String, Number or Boolean: equal only to the same type and value (see `equals`).
  if (operator === '=' && (typeof right === 'string' || typeof right === 'number' || typeof right === 'boolean')) {
    return (left) => (left === undefined ? undefined : left === right);
  }
  const r = toDecimal(right);
  if (r === undefined) return undefined;
  switch (operator) {
    case '<':
      return (left) => {
        const l = toDecimal(left);
        return l === undefined ? undefined : l < r;
      };
    case '<=':
      return (left) => {
        const l = toDecimal(left);
        return l === undefined ? undefined : l <= r;
      };
    case '>':
      return (left) => {
        const l = toDecimal(left);
        return l === undefined ? undefined : l > r;
      };
    case '>=':
      return (left) => {
        const l = toDecimal(left);
        return l === undefined ? undefined : l >= r;
      };
    default:
      return undefined;
  }
}

/** Unary minus: numbers and numeric strings are negated; anything else is Undefined. */
export function negate(operand: SqlValue): SqlValue {
  const value = toDecimal(operand);
  return value === undefined ? undefined : noNegativeZero(-value);
}
