import type { SelectItemNode, StatementNode } from './sql.ast.js';
import { positionAt, RuleSqlError } from './sql.error.js';
import { parseStatement } from './sql.parser.js';
import { compileExpression } from './expression.compiler.js';
import { contextOf, type EvalContext, type Evaluator, type RuleMessage, type RuleResult } from './rule-message.model.js';
import { isPlainObject, setKey } from './sql.values.js';

export interface CompiledStatement {
  /** The FROM filter, validated as an MQTT topic filter. */
  readonly topicFilter: string;
  /** `SELECT * FROM '...'` with no WHERE: the result is the payload itself (a fast path for the hub). */
  readonly selectsPayloadAsIs: boolean;
  /** Never throws: a runtime type problem gives Undefined, as AWS does. */
  evaluate(message: RuleMessage): RuleResult;
}

/** Adds one SELECT item's contribution to the result object. */
type Writer = (context: EvalContext, result: Record<string, unknown>) => void;

const NOT_MATCHED: RuleResult = Object.freeze({ matched: false });

/** Parses, checks and compiles a rule's statement; every refusal is a RuleSqlError with its position. */
export function compileStatement(sql: string): CompiledStatement {
  const statement = parseStatement(sql);
  const topicFilter = checkTopicFilter(sql, statement.topicFilter);
  const where = statement.where && compileExpression(statement.where);
  const starOnly = statement.items.length === 1 && statement.items[0]?.kind === 'star';
  const evaluate = starOnly ? evaluatePayload(where) : evaluateItems(statement.items, where);
  return { topicFilter, selectsPayloadAsIs: starOnly && where === undefined, evaluate };
}

/** WHERE selects a message only when it is true; false and Undefined both skip it. */
const passes = (where: Evaluator | undefined, context: EvalContext) => where === undefined || where(context) === true;

/** `SELECT *`: a JSON object as is, any other payload as its bytes (AWS's binary payload rule). */
function evaluatePayload(where: Evaluator | undefined): (message: RuleMessage) => RuleResult {
  return (message) => {
    const context = contextOf(message);
    if (!passes(where, context)) return NOT_MATCHED;
    return isPlainObject(context.payload) ? { matched: true, value: context.payload } : { matched: true, binary: message.payload };
  };
}

function evaluateItems(items: SelectItemNode[], where: Evaluator | undefined): (message: RuleMessage) => RuleResult {
  const writers = items.map(writerOf);
  return (message) => {
    const context = contextOf(message);
    if (!passes(where, context)) return NOT_MATCHED;
    const value: Record<string, unknown> = {};
    for (const write of writers) write(context, value);
    return { matched: true, value };
  };
}

function merge(result: Record<string, unknown>, source: unknown): void {
  if (!isPlainObject(source)) return;
  for (const key of Object.keys(source)) setKey(result, key, source[key]);
}

/**
 * `*` merges the payload's fields, an unnamed object literal merges its keys (how a rule builds a
 * shadow document: `SELECT {'state': ...} FROM`), a field is named by its last name, anything else
 * needs `AS name`.
 */
function writerOf(item: SelectItemNode): Writer {
  if (item.kind === 'star') return (context, result) => merge(result, context.payload);
  const read = compileExpression(item.expression);
  const expression = item.expression;
  if (item.alias === undefined && expression.kind === 'object') return (context, result) => merge(result, read(context));
  const key = item.alias ?? (expression.kind === 'field' || expression.kind === 'member' ? expression.name : undefined);
  if (key === undefined) {
    throw new RuleSqlError(`this SELECT item needs a name for its result: add AS name`, item.position);
  }
  return (context, result) => {
    const value = read(context);
    if (value !== undefined) setKey(result, key, value);
  };
}

/**
 * A FROM filter as MQTT defines them ([MQTT-4.7.1]): not empty, `+` a whole level, `#` a whole and
 * last level, no NUL. The position points into the quoted filter.
 */
function checkTopicFilter(sql: string, filter: StatementNode['topicFilter']): string {
  const at = (index: number) => positionAt(sql, filter.rawOffset + index);
  const text = filter.text;
  if (text.length === 0) throw new RuleSqlError('the FROM topic filter is empty', filter.position);
  const nul = text.indexOf('\u0000');
  if (nul !== -1) throw new RuleSqlError('the FROM topic filter contains a NUL character', at(nul));
  let levelStart = 0;
  for (const level of text.split('/')) {
    const plus = level.indexOf('+');
    if (plus !== -1 && level !== '+') throw new RuleSqlError("'+' in a topic filter must be a whole level, e.g. 'things/+/telemetry'", at(levelStart + plus));
    const hash = level.indexOf('#');
    if (hash !== -1 && (level !== '#' || levelStart + 1 !== text.length)) {
      throw new RuleSqlError("'#' in a topic filter must be the whole last level, e.g. 'things/#'", at(levelStart + hash));
    }
    levelStart += level.length + 1;
  }
  return text;
}
