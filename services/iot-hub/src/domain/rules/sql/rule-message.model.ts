/** `RuleMessage.json` when the payload bytes are not JSON: every field is then Undefined, and `SELECT *` passes the bytes on. */
export const NOT_JSON: unique symbol = Symbol('NOT_JSON');

/** A message as the rules see it. */
export interface RuleMessage {
  topic: string;
  /** Bytes as received. */
  payload: Buffer;
  /** The parsed payload, or NOT_JSON when the bytes are not JSON. */
  json: unknown;
  clientId: string;
  /** Certificate id of a device, user id of a person. */
  principal: string;
  /** Receive time, epoch ms. */
  timestamp: number;
  /** Where `contextOf` keeps the message's context, so a hundred rules on one message make one, not a hundred. */
  evalContext?: EvalContext;
}

export type RuleResult =
  /** WHERE was false or Undefined. */
  | { matched: false }
  /** The SELECT's object (Undefined fields left out). Shared with the message for a bare `SELECT *`: do not mutate. */
  | { matched: true; value: Record<string, unknown> }
  /** SELECT * over a payload that is not a JSON object (AWS passes the bytes on). */
  | { matched: true; binary: Buffer };

/**
 * What compiled expressions read; one per message, shared by every statement evaluated on it.
 * `levels` is the topic split on first use by topic(n).
 */
export interface EvalContext {
  readonly message: RuleMessage;
  /** The JSON payload, or Undefined when the payload is not JSON. */
  readonly payload: unknown;
  levels: string[] | undefined;
}

export type Evaluator = (context: EvalContext) => unknown;

export function contextOf(message: RuleMessage): EvalContext {
  const known = message.evalContext;
  if (known) return known;
  const context: EvalContext = { message, payload: message.json === NOT_JSON ? undefined : message.json, levels: undefined };
  message.evalContext = context;
  return context;
}
