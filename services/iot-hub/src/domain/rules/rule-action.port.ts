import type { CompiledAction } from './compiled-rule.js';
import type { RuleMessage } from './sql/index.js';

/** What a rule made of a message: the SELECT's object, or the bytes of a payload that is not JSON (`SELECT *`). */
export type RuleOutput = { value: Record<string, unknown> } | { binary: Buffer };

/** One action to take for one message. */
export interface ActionCall {
  workspaceId: string;
  ruleName: string;
  /** The incoming message: substitution templates are evaluated against it. */
  message: RuleMessage;
  output: RuleOutput;
  /** The rule's secret, for http actions' signatures. */
  signingSecret: string;
}

export type ActionOutcome = { ok: true } | { ok: false; retryable: boolean; error: string };

/** Port: runs one kind of action (republish, http, shadow, app) once; retries are the dispatcher's. */
export interface ActionRunner {
  run(action: CompiledAction, call: ActionCall): Promise<ActionOutcome>;
  /**
   * True when taking the action now would succeed and change nothing (a republish nobody can
   * receive): the dispatcher then counts it delivered without queueing it. False when unsure.
   */
  changesNothing?(action: CompiledAction, call: ActionCall): boolean;
}

/** The JSON body an action sends: the object, or the bytes as they came. */
export const bodyOf = (output: RuleOutput): { body: Buffer; contentType: string } =>
  'binary' in output
    ? { body: output.binary, contentType: 'application/octet-stream' }
    : { body: Buffer.from(JSON.stringify(output.value)), contentType: 'application/json' };
