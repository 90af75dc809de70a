import type { RuleIndex } from '../domain/rules/rule-index.js';
import type { RuleOutput } from '../domain/rules/rule-action.port.js';
import { NOT_JSON, type EvalContext, type RuleMessage } from '../domain/rules/sql/index.js';
import type { Delivery, RuleDispatcher } from './rule-dispatcher.js';

/** Who published: the workspace whose rules see the message, and what `clientid()`/`principal()` answer. */
export interface RuleSource {
  workspaceId: string;
  clientId: string;
  principal: string;
}

/** What the rules made of one message. */
export interface RuleEvaluation {
  /**
   * What the telemetry table must hold before the PUBACK, one entry per table action that matched:
   * `asIs` when a rule passed the payload on untouched (`SELECT * FROM ...`), so the ingest path
   * checks and stores the bytes as they came.
   */
  tableWrites: Array<{ ruleName: string } & ({ asIs: true } | { output: RuleOutput })>;
  /** Hands the other actions to the dispatcher; call it once the table writes are committed. */
  dispatch(): void;
  /** The payload as a rule parsed it (NOT_JSON when it is not JSON); undefined when no rule read it. */
  parsed: unknown;
}

const NOTHING_TO_DISPATCH = (): void => undefined;

/** The incoming message as the SQL sees it, its payload parsed only if a rule reads it. */
class IncomingMessage implements RuleMessage {
  private parsed: unknown = undefined;
  private done = false;
  // Declared here so the context that contextOf adds keeps the object's shape.
  evalContext: EvalContext | undefined = undefined;

  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly clientId: string,
    readonly principal: string,
    readonly timestamp: number,
  ) {}

  /** The parsed payload if a rule has read it already, else undefined. */
  get parsedSoFar(): unknown {
    return this.done ? this.parsed : undefined;
  }

  get json(): unknown {
    if (!this.done) {
      this.done = true;
      try {
        this.parsed = JSON.parse(this.payload.toString('utf8'));
      } catch {
        this.parsed = NOT_JSON;
      }
    }
    return this.parsed;
  }
}

/**
 * Runs a workspace's topic rules on each message it publishes: matches each rule's FROM filter,
 * evaluates its SELECT and WHERE, and splits what it asks for into the table writes (made before
 * the PUBACK) and the other actions (made after it by the dispatcher). A statement never throws at
 * message time: the hub compiled it when the rule was saved.
 */
export class RuleEngine {
  constructor(
    private readonly rules: { rulesOf(workspaceId: string): RuleIndex },
    private readonly dispatcher: RuleDispatcher,
    private readonly now: () => number = Date.now,
  ) {}

  evaluate(source: RuleSource, topic: string, payload: Buffer): RuleEvaluation {
    const rules = this.rules.rulesOf(source.workspaceId).match(topic);
    let message: IncomingMessage | undefined;
    const tableWrites: RuleEvaluation['tableWrites'] = [];
    let deliveries: Delivery[] | undefined;
    for (const rule of rules) {
      const statement = rule.statement;
      if (statement.selectsPayloadAsIs && rule.actions.length === 0) {
        // The default rule's shape: nothing to evaluate, the bytes go to the table as they came.
        for (let index = 0; index < rule.tableActions; index++) tableWrites.push({ ruleName: rule.name, asIs: true });
        continue;
      }
      message ??= new IncomingMessage(topic, payload, source.clientId, source.principal, this.now());
      const result = statement.evaluate(message);
      if (!result.matched) continue;
      const output: RuleOutput = 'binary' in result ? { binary: result.binary } : { value: result.value };
      for (let index = 0; index < rule.tableActions; index++) {
        tableWrites.push(statement.selectsPayloadAsIs ? { ruleName: rule.name, asIs: true } : { ruleName: rule.name, output });
      }
      if (rule.actions.length > 0) (deliveries ??= []).push({ rule, message, output });
    }
    const parsed = message?.parsedSoFar;
    if (!deliveries) return { tableWrites, dispatch: NOTHING_TO_DISPATCH, parsed };
    const ready = deliveries;
    return { tableWrites, dispatch: () => ready.forEach((delivery) => this.dispatcher.enqueue(delivery)), parsed };
  }
}
