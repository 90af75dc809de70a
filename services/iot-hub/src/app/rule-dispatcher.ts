import type { RuleErrorMessage } from '@citus/contracts';
import type { Logger } from '@citus/kit';
import type { CompiledAction, CompiledRule } from '../domain/rules/compiled-rule.js';
import type { ActionCall, ActionOutcome, ActionRunner, RuleOutput } from '../domain/rules/rule-action.port.js';
import type { RuleMessage } from '../domain/rules/sql/index.js';

export interface DispatcherOptions {
  /** Tries per action, the first included. */
  attempts: number;
  /** The wait before the second try; it doubles for each next one (with up to 20 % jitter). */
  retryBaseMs: number;
  /** Deliveries a rule may have waiting; past it, new ones go straight to the error action. */
  queueLimit: number;
  /**
   * Deliveries one topic of a rule may have waiting (default: a tenth of queueLimit, at least 1): a
   * topic whose endpoint hangs fills its own queue, not the whole rule's.
   */
  topicQueueLimit?: number;
  /** A timer that ends early on the signal; tests may shorten time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RuleStats {
  /** Deliveries done, those that changed nothing included. */
  delivered: number;
  /** Deliveries whose actions would have changed nothing (a republish nobody could receive): counted, not queued. */
  unheard: number;
  actionFailures: number;
  errorActions: number;
  errorActionFailures: number;
  overflowed: number;
}

/** One message matched by one rule, with the actions still to take. */
export interface Delivery {
  rule: CompiledRule;
  message: RuleMessage;
  output: RuleOutput;
}

interface Lane {
  queue: Delivery[];
}

/** Failure reports of overflowed messages a rule may have in flight at once; past it, they are only counted and logged. */
const OVERFLOW_REPORTS_IN_FLIGHT = 16;

/** A back-off wait that ends early when the dispatcher stops. */
const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * Takes rules' actions after the PUBACK. Deliveries of one rule on one topic form a lane and run one
 * after the other, so a rule sees a topic's messages in arrival order; lanes run independently, so
 * a failing endpoint holds up only the topics it serves, never other devices. A failed action is
 * tried again with back-off; when its tries are spent the rule's error action gets AWS IoT's error
 * message with the reason. A rule whose queue is full sends new messages straight to its error
 * action rather than holding memory without bound.
 */
export class RuleDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly queued = new Map<string, number>();
  /** Failure reports of overflowed messages in flight, by rule. */
  private readonly overflowReports = new Map<string, number>();
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly stopping = new AbortController();
  private readonly topicQueueLimit: number;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  readonly stats: RuleStats = { delivered: 0, unheard: 0, actionFailures: 0, errorActions: 0, errorActionFailures: 0, overflowed: 0 };

  constructor(
    private readonly runner: ActionRunner,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
  ) {
    this.sleep = options.sleep ?? defaultSleep;
    this.topicQueueLimit = options.topicQueueLimit ?? Math.max(1, Math.floor(options.queueLimit / 10));
  }

  enqueue(delivery: Delivery): void {
    if (this.stopped) return;
    const { rule, message } = delivery;
    const ruleKey = rule.key;
    const waiting = this.queued.get(ruleKey) ?? 0;
    const laneKey = `${ruleKey}\u0000${message.topic}`;
    const lane = this.lanes.get(laneKey);
    // With no earlier message of its topic waiting, a delivery that changes nothing is done now,
    // however full the rule's other topics are; one that waits behind others keeps its turn, so
    // order holds whatever the audience does.
    if (!lane && this.changesNothing(delivery)) {
      this.stats.delivered++;
      this.stats.unheard++;
      return;
    }
    if (waiting >= this.options.queueLimit || (lane?.queue.length ?? 0) >= this.topicQueueLimit) {
      this.overflow(delivery, waiting >= this.options.queueLimit ? `the rule has ${waiting} messages waiting` : `the rule has ${lane?.queue.length} messages of this topic waiting`);
      return;
    }
    this.queued.set(ruleKey, waiting + 1);
    if (lane) return void lane.queue.push(delivery);
    const fresh: Lane = { queue: [delivery] };
    this.lanes.set(laneKey, fresh);
    this.track(this.drainLane(laneKey, ruleKey, fresh));
  }

  private changesNothing(delivery: Delivery): boolean {
    const runner = this.runner;
    if (!runner.changesNothing) return false;
    const call = this.callOf(delivery, delivery.output);
    try {
      return delivery.rule.actions.every((action) => runner.changesNothing?.(action, call) === true);
    } catch (error) {
      // Unsure: the delivery is queued, and running it reports what is wrong.
      this.logger.warn({ err: error, rule: delivery.rule.name }, 'rule delivery: could not tell whether it changes anything');
      return false;
    }
  }

  /** Deliveries waiting or in progress. */
  get pending(): number {
    let count = 0;
    for (const waiting of this.queued.values()) count += waiting;
    return count;
  }

  /** Stops taking deliveries and waits for those in progress (back-off waits end at once); what is still queued is logged and dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    const dropped = [...this.lanes.values()].reduce((sum, lane) => sum + Math.max(0, lane.queue.length - 1), 0);
    for (const lane of this.lanes.values()) lane.queue.splice(1);
    await Promise.all(this.running);
    if (dropped > 0) this.logger.warn({ dropped }, 'rule actions not taken: the hub stopped');
  }

  private track(work: Promise<void>): void {
    const settled = work.catch((error: unknown) => this.logger.error({ err: error }, 'rule delivery failed'));
    this.running.add(settled);
    void settled.finally(() => this.running.delete(settled));
  }

  /**
   * A message the rule has no room for: its failure goes to the error action, with a bound on such
   * reports in flight, since the error action is often the very endpoint that is slow.
   */
  private overflow(delivery: Delivery, why: string): void {
    const { rule } = delivery;
    this.stats.overflowed++;
    const inFlight = this.overflowReports.get(rule.key) ?? 0;
    if (inFlight >= OVERFLOW_REPORTS_IN_FLIGHT || !rule.errorAction) return;
    this.overflowReports.set(rule.key, inFlight + 1);
    const failures = rule.actions.map((action) => ({ action, error: `${why}: this one was not sent`, attempts: 1 }));
    this.track(
      this.reportFailures(delivery, failures).finally(() => {
        const left = (this.overflowReports.get(rule.key) ?? 1) - 1;
        if (left > 0) this.overflowReports.set(rule.key, left);
        else this.overflowReports.delete(rule.key);
      }),
    );
  }

  private async drainLane(laneKey: string, ruleKey: string, lane: Lane): Promise<void> {
    for (let delivery = lane.queue[0]; delivery; delivery = lane.queue[0]) {
      try {
        await this.deliver(delivery);
      } catch (error) {
        this.logger.error({ err: error, rule: delivery.rule.name }, 'rule delivery failed');
      }
      lane.queue.shift();
      this.queued.set(ruleKey, (this.queued.get(ruleKey) ?? 1) - 1);
    }
    this.lanes.delete(laneKey);
    if (this.queued.get(ruleKey) === 0) this.queued.delete(ruleKey);
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const call = this.callOf(delivery, delivery.output);
    const actions = delivery.rule.actions;
    // Most rules have one action: it is awaited alone; several run side by side.
    const results =
      actions.length === 1
        ? [{ action: actions[0] as CompiledAction, ...(await this.attempt(actions[0] as CompiledAction, call)) }]
        : await Promise.all(actions.map(async (action) => ({ action, ...(await this.attempt(action, call)) })));
    const failures = results.flatMap((result) => (result.outcome.ok ? [] : [{ action: result.action, error: result.outcome.error, attempts: result.attempts }]));
    this.stats.delivered++;
    if (failures.length > 0) await this.reportFailures(delivery, failures);
  }

  /** Runs an action until it succeeds, fails for good, or its tries are spent. */
  private async attempt(action: CompiledAction, call: ActionCall): Promise<{ outcome: ActionOutcome; attempts: number }> {
    let outcome: ActionOutcome = { ok: false, retryable: false, error: 'not tried' };
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      if (attempt > 1) {
        const delay = this.options.retryBaseMs * 2 ** (attempt - 2);
        await this.sleep(delay + Math.random() * delay * 0.2, this.stopping.signal);
        if (this.stopped) return { outcome, attempts: attempt - 1 };
      }
      outcome = await this.runner.run(action, call).catch((error: unknown): ActionOutcome => ({ ok: false, retryable: false, error: String(error) }));
      if (outcome.ok || !outcome.retryable || this.stopped) return { outcome, attempts: attempt };
    }
    return { outcome, attempts: this.options.attempts };
  }

  private async reportFailures(delivery: Delivery, failures: Array<{ action: CompiledAction; error: string; attempts: number }>): Promise<void> {
    const { rule, message } = delivery;
    this.stats.actionFailures += failures.length;
    this.logger.warn(
      { workspaceId: rule.workspaceId, rule: rule.name, topic: message.topic, failures: failures.map(({ action, error }) => ({ action: action.kind, error })) },
      'rule action failed',
    );
    const errorAction = rule.errorAction;
    // Once stopping, no report is started: it would hold the shutdown for its own tries.
    if (!errorAction || this.stopped) return;
    const report: RuleErrorMessage = {
      ruleName: rule.name,
      topic: message.topic,
      clientId: message.clientId,
      base64OriginalPayload: message.payload.toString('base64'),
      failures: failures.map(({ action, error, attempts }) => ({ failedAction: actionName(action), failedResource: action.resource, errorMessage: error, attempts })),
    };
    this.stats.errorActions++;
    const { outcome } = await this.attempt(errorAction, this.callOf(delivery, { value: report }));
    if (!outcome.ok) {
      this.stats.errorActionFailures++;
      this.logger.error({ workspaceId: rule.workspaceId, rule: rule.name, error: outcome.error }, 'rule error action failed: the failure report is lost');
    }
  }

  private callOf(delivery: Delivery, output: RuleOutput): ActionCall {
    const { rule, message } = delivery;
    return { workspaceId: rule.workspaceId, ruleName: rule.name, message, output, signingSecret: rule.signingSecret };
  }
}

/** AWS's names for the actions in an error message: `HttpAction`, `RepublishAction`, ... */
const actionName = (action: CompiledAction): string => `${action.kind.charAt(0).toUpperCase()}${action.kind.slice(1)}Action`;
