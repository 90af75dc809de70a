import type { ArgumentNode, ExpressionNode } from './sql.ast.js';
import { buildCall } from './sql.functions.js';
import { BINARY_OPERATORS, negate, not, withConstantRight } from './sql.operators.js';
import { contextOf, NOT_JSON, type EvalContext, type Evaluator } from './rule-message.model.js';
import { fieldOf, setKey, toInt, type SqlValue } from './sql.values.js';

/**
 * Turns an expression tree into nested closures once, when the rule is saved, so a message costs a
 * few function calls per rule instead of a tree walk with a switch per node. Sub-expressions without
 * fields or message functions are computed here, once.
 */
interface Compiled {
  evaluate: Evaluator;
  /** Depends on nothing in the message: computed at compile time. */
  constant: boolean;
}

/** A throwaway context for computing constants; constant code never reads it. */
const NO_MESSAGE: EvalContext = contextOf({ topic: '', payload: Buffer.alloc(0), json: NOT_JSON, clientId: '', principal: '', timestamp: 0 });

export function compileExpression(node: ExpressionNode): Evaluator {
  return compile(node).evaluate;
}

function constant(value: SqlValue): Compiled {
  return { evaluate: () => value, constant: true };
}

/** Folds a constant primitive; objects and arrays are rebuilt per message so no result shares them. */
function fold(compiled: Compiled): Compiled {
  if (!compiled.constant) return compiled;
  const value = compiled.evaluate(NO_MESSAGE);
  return typeof value === 'object' && value !== null ? compiled : constant(value);
}

function compile(node: ExpressionNode): Compiled {
  switch (node.kind) {
    case 'literal':
      return constant(node.value);
    case 'field':
      return { evaluate: fieldPath([node.name]), constant: false };
    case 'member':
      return compileMember(node);
    case 'index':
      return compileIndex(node.object, node.index);
    case 'call':
      return compileCall(node.name, node.args, node);
    case 'negate':
      return compileUnary(node.operand, negate);
    case 'not':
      return compileUnary(node.operand, not);
    case 'binary':
      return compileBinary(node.operator, node.left, node.right);
    case 'object':
      return compileObject(node.entries);
    case 'array':
      return compileArray(node.items);
  }
}

/** `a.b.c` from the payload is one loop over the names rather than three closures. */
function fieldPath(names: string[]): Evaluator {
  if (names.length === 1) {
    const [name] = names as [string];
    return (context) => fieldOf(context.payload, name);
  }
  return (context) => {
    let value: unknown = context.payload;
    for (const name of names) {
      value = fieldOf(value, name);
      if (value === undefined) return undefined;
    }
    return value;
  };
}

function pathOf(node: ExpressionNode): string[] | undefined {
  if (node.kind === 'field') return [node.name];
  if (node.kind !== 'member') return undefined;
  const parent = pathOf(node.object);
  return parent && [...parent, node.name];
}

function compileMember(node: Extract<ExpressionNode, { kind: 'member' }>): Compiled {
  const path = pathOf(node);
  if (path) return { evaluate: fieldPath(path), constant: false };
  const object = compile(node.object);
  const read = object.evaluate;
  const name = node.name;
  return fold({ evaluate: (context) => fieldOf(read(context), name), constant: object.constant });
}

function compileIndex(objectNode: ExpressionNode, indexNode: ExpressionNode): Compiled {
  const object = compile(objectNode);
  const index = compile(indexNode);
  const readObject = object.evaluate;
  const readIndex = index.evaluate;
  const evaluate: Evaluator = (context) => {
    const array = readObject(context);
    if (!Array.isArray(array)) return undefined;
    const position = toInt(readIndex(context));
    return position === undefined || position < 0 ? undefined : array[position];
  };
  return fold({ evaluate, constant: object.constant && index.constant });
}

function compileCall(name: string, nodes: ArgumentNode[], call: ExpressionNode): Compiled {
  const args = nodes.map((arg): Compiled => (arg.kind === 'payload' ? { evaluate: (context) => context.payload, constant: false } : compile(arg)));
  const { evaluate, pure } = buildCall(name, args.map((arg) => arg.evaluate), nodes, call.position);
  return fold({ evaluate, constant: pure && args.every((arg) => arg.constant) });
}

function compileUnary(operandNode: ExpressionNode, apply: (value: SqlValue) => SqlValue): Compiled {
  const operand = compile(operandNode);
  const read = operand.evaluate;
  return fold({ evaluate: (context) => apply(read(context)), constant: operand.constant });
}

function compileBinary(operator: keyof typeof BINARY_OPERATORS, leftNode: ExpressionNode, rightNode: ExpressionNode): Compiled {
  const left = compile(leftNode);
  const right = compile(rightNode);
  const apply = BINARY_OPERATORS[operator];
  const readLeft = left.evaluate;
  const readRight = right.evaluate;
  const against = right.constant && !left.constant ? withConstantRight(operator, readRight(NO_MESSAGE)) : undefined;
  if (against) return { evaluate: (context) => against(readLeft(context)), constant: false };
  return fold({ evaluate: (context) => apply(readLeft(context), readRight(context)), constant: left.constant && right.constant });
}

/** Object literals leave out keys whose value is Undefined, as AWS's serialization does. */
function compileObject(entries: Array<{ key: string; value: ExpressionNode }>): Compiled {
  const compiled = entries.map((entry) => ({ key: entry.key, read: compile(entry.value) }));
  const evaluate: Evaluator = (context) => {
    const object: Record<string, unknown> = {};
    for (const { key, read } of compiled) {
      const value = read.evaluate(context);
      if (value !== undefined) setKey(object, key, value);
    }
    return object;
  };
  return { evaluate, constant: compiled.every((entry) => entry.read.constant) };
}

/** Array literals leave out Undefined items: JSON has no way to write them. */
function compileArray(items: ExpressionNode[]): Compiled {
  const compiled = items.map(compile);
  const evaluate: Evaluator = (context) => {
    const array: unknown[] = [];
    for (const item of compiled) {
      const value = item.evaluate(context);
      if (value !== undefined) array.push(value);
    }
    return array;
  };
  return { evaluate, constant: compiled.every((item) => item.constant) };
}

