/**
 * AWS IoT SQL values as JavaScript values, and the conversions of AWS's "Data types" page
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-data-types.html):
 * Undefined is `undefined`, Null is `null`, Int is an integral number (SQL version 2016-03-23 treats
 * 10.0 as the Int 10), Decimal any other number; strings, booleans, arrays and objects are JSON's.
 */
export type SqlValue = unknown;

/** The strings AWS converts to a Decimal (data types page, "To Decimal"). */
const DECIMAL_STRING = /^-?\d+(\.\d+)?(e-?\d+)?$/i;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "To Decimal": numbers as they are, strings that look like numbers; anything else is Undefined. */
export function toDecimal(value: SqlValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && DECIMAL_STRING.test(value)) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** "To Int": a Decimal rounds to the nearest Int, a numeric string is truncated. */
export function toInt(value: SqlValue): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Math.round(value);
  const decimal = toDecimal(value);
  return decimal === undefined ? undefined : Math.trunc(decimal);
}

/** "To Boolean": booleans, and the strings "true" and "false" in any case. */
export function toBoolean(value: SqlValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

/** An Int in standard notation (no exponent even past 1e21), a Decimal as JavaScript prints it. */
export function numberToString(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) >= 1e21) return BigInt(value).toString();
  return String(value);
}

/** "To String": arrays and objects as compact JSON; Null and Undefined have no string. */
export function toText(value: SqlValue): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return numberToString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? undefined : stringifyJson(value);
    default:
      return undefined;
  }
}

/** JSON text of a payload value; a payload too deep for the serializer gives Undefined, not a throw. */
function stringifyJson(value: object): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Sets a key as an own property even when it is `__proto__`, so a payload cannot swap a result's prototype. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The object's own value at `key`, or Undefined (no prototype lookups: `constructor` is not a field). */
export function fieldOf(value: SqlValue, key: string): SqlValue {
  return isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/**
 * Deep equality of the "=" operator: arrays item by item in order, objects key by key in any order.
 * Iterative, so a deeply nested payload cannot overflow the stack.
 */
export function jsonEquals(left: SqlValue, right: SqlValue): boolean {
  const pending: Array<[unknown, unknown]> = [[left, right]];
  while (pending.length > 0) {
    const [a, b] = pending.pop() as [unknown, unknown];
    if (a === b) continue;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      for (let index = 0; index < a.length; index += 1) pending.push([a[index], b[index]]);
    } else if (isPlainObject(a)) {
      if (!isPlainObject(b)) return false;
      const keys = Object.keys(a);
      if (keys.length !== Object.keys(b).length) return false;
      for (const key of keys) {
        if (!Object.hasOwn(b, key)) return false;
        pending.push([a[key], b[key]]);
      }
    } else {
      return false;
    }
  }
  return true;
}

/** Turns -0 (from ceil(-0.5) or -(0)) into 0, which JSON prints the same but equality tests do not. */
export function noNegativeZero(value: number): number {
  return value === 0 ? 0 : value;
}
