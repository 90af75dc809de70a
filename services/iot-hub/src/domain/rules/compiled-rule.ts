import { actionKind, type RuleAction } from '@citus/contracts';
import { compileStatement, compileTemplate, RuleSqlError, type CompiledStatement, type CompiledTemplate } from './sql/index.js';
import type { RuleDefinition } from './topic-rule.model.js';

/** An action with its substitution templates compiled: what the dispatcher runs. */
export type CompiledAction =
  | { kind: 'telemetryTable'; resource: string }
  | { kind: 'republish'; resource: string; topic: CompiledTemplate; qos: 0 | 1 }
  | { kind: 'http'; resource: string; url: CompiledTemplate; origin: string; headers: Array<{ key: string; value: CompiledTemplate }> }
  | { kind: 'shadow'; resource: string; thingName?: CompiledTemplate; shadowName?: CompiledTemplate }
  | { kind: 'app'; resource: string; app: string; path?: CompiledTemplate };

/** A rule ready to run on messages. */
export interface CompiledRule {
  workspaceId: string;
  name: string;
  /** `{workspaceId}\0{name}`: the rule's key in the dispatcher's queues. */
  key: string;
  statement: CompiledStatement;
  /** Runs before the PUBACK (the telemetry table); at most one per rule is needed, but each counts. */
  tableActions: number;
  /** Run after the PUBACK, in arrival order per topic, with retries. */
  actions: CompiledAction[];
  errorAction?: CompiledAction;
  /** The secret its http actions sign with. */
  signingSecret: string;
}

/** A place in the rule definition that is wrong, for the 400's details. */
export interface RuleProblem {
  path: Array<string | number>;
  message: string;
  position?: { line: number; column: number; offset: number };
}

export class InvalidRuleError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(problems.map((problem) => `${problem.path.join('.')}: ${problem.message}`).join('; '));
    this.name = 'InvalidRuleError';
  }
}

/** Where a shadow action without `thingName` sends: the thing of the message's topic. */
const DEFAULT_SHADOW_THING = '${topic(2)}';

/** The first level of a topic filter that only telemetry topics can match. */
const TELEMETRY_LEVEL = 'telemetry';

function template(text: string, path: Array<string | number>, problems: RuleProblem[]): CompiledTemplate {
  try {
    return compileTemplate(text);
  } catch (error) {
    if (!(error instanceof RuleSqlError)) throw error;
    problems.push({ path, message: error.message, position: error.position });
    return { text, render: () => text };
  }
}

function compileAction(action: RuleAction, path: Array<string | number>, problems: RuleProblem[]): CompiledAction {
  const at = (...rest: Array<string | number>) => [...path, actionKind(action), ...rest];
  if (action.telemetryTable) return { kind: 'telemetryTable', resource: 'telemetry' };
  if (action.republish) {
    const spec = action.republish;
    return { kind: 'republish', resource: spec.topic, topic: template(spec.topic, at('topic'), problems), qos: spec.qos ?? 0 };
  }
  if (action.http) {
    const spec = action.http;
    const headers = (spec.headers ?? []).map((header, index) => ({ key: header.key, value: template(header.value, at('headers', index, 'value'), problems) }));
    const origin = new URL(spec.url).origin;
    // Templates may fill in the path and query, never the host: the endpoint is fixed when the rule is saved.
    const fixed = spec.url.split('${')[0] ?? '';
    if (fixed !== spec.url && !fixed.startsWith(`${origin}/`)) problems.push({ path: at('url'), message: 'substitution templates may appear in the path and query of the URL only, after the host' });
    return { kind: 'http', resource: origin, url: template(spec.url, at('url'), problems), origin, headers };
  }
  if (action.shadow) {
    const spec = action.shadow;
    return {
      kind: 'shadow',
      resource: `${spec.thingName ?? DEFAULT_SHADOW_THING}${spec.shadowName ? `/${spec.shadowName}` : ''}`,
      ...(spec.thingName === undefined ? {} : { thingName: template(spec.thingName, at('thingName'), problems) }),
      ...(spec.shadowName === undefined ? {} : { shadowName: template(spec.shadowName, at('shadowName'), problems) }),
    };
  }
  if (action.app) {
    const spec = action.app;
    return { kind: 'app', resource: spec.app, app: spec.app, ...(spec.path === undefined ? {} : { path: template(spec.path, at('path'), problems) }) };
  }
  throw new Error('an action names no kind');
}

/**
 * Compiles a rule's SQL and the templates of its actions, or throws `InvalidRuleError` with every
 * problem found and where: what the hub cannot run is refused when the rule is saved, never when a
 * message arrives.
 */
export function compileRule(workspaceId: string, name: string, definition: RuleDefinition, signingSecret: string): CompiledRule {
  const problems: RuleProblem[] = [];
  let statement: CompiledStatement | undefined;
  try {
    statement = compileStatement(definition.sql);
  } catch (error) {
    if (!(error instanceof RuleSqlError)) throw error;
    problems.push({ path: ['sql'], message: error.message, position: error.position });
  }
  const compiled = definition.actions.map((action, index) => compileAction(action, ['actions', index], problems));
  const errorAction = definition.errorAction && compileAction(definition.errorAction, ['errorAction'], problems);
  if (errorAction?.kind === 'telemetryTable') {
    problems.push({ path: ['errorAction', 'telemetryTable'], message: 'an error message is not telemetry: the error action cannot be telemetryTable' });
  }
  const tableActions = compiled.filter((action) => action.kind === 'telemetryTable').length;
  if (statement && tableActions > 0 && statement.topicFilter.split('/')[0] !== TELEMETRY_LEVEL) {
    problems.push({
      path: ['actions', compiled.findIndex((action) => action.kind === 'telemetryTable'), 'telemetryTable'],
      message: `the telemetry table holds telemetry topics only: the rule's FROM must start with "telemetry/" (it is '${statement.topicFilter}')`,
    });
  }
  if (problems.length > 0 || !statement) throw new InvalidRuleError(problems);
  return {
    workspaceId,
    name,
    key: `${workspaceId}\u0000${name}`,
    statement,
    tableActions,
    actions: compiled.filter((action) => action.kind !== 'telemetryTable'),
    ...(errorAction ? { errorAction } : {}),
    signingSecret,
  };
}
