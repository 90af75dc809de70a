import type { AlertAction, AlertActionOutcome, AlertWebhookBody, Anomaly, TelemetryItem } from '@citus/contracts';
import { signWebhook, type Logger } from '@citus/kit';
import type { DesiredStateWriter, WebhookSender } from '../domain/alert-delivery.port.js';
import type { AlertRuleRepository, StoredAlertRule } from '../domain/alert-rule.model.js';
import { anomalySignal, cooldownKey, thresholdSignals, type AlertSignal } from '../domain/alert-signal.rules.js';
import type { SecretReader } from '../domain/secret.port.js';
import type { AlertCooldowns } from './alert-cooldown.js';

export interface AlertDeliveryOptions {
  /** How long one webhook attempt may take. */
  webhookTimeoutMs: number;
  /** Attempts per webhook delivery, the first included. */
  webhookAttempts: number;
  /** Wait before the second attempt; doubled before each further one. */
  backoffMs: number;
}

export interface AlertDispatcherPorts {
  rules: AlertRuleRepository;
  secrets: SecretReader;
  webhooks: WebhookSender;
  /** Absent where no hub runs in the process: shadow actions then fail with a recorded error. */
  shadows?: DesiredStateWriter;
  cooldowns: AlertCooldowns;
}

type WebhookAction = Extract<AlertAction, { webhook: unknown }>['webhook'];

/** Deliveries one rule has under way at most; signals past it are skipped (and logged), never queued. */
export const MAX_DELIVERIES_PER_RULE = 4;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Checks stored telemetry (threshold rules) and anomalies (anomaly rules) against the workspace's
 * enabled rules and carries out the actions of those that fire, outside their series' cool-down.
 * Each firing's outcome is recorded as the rule's last delivery.
 */
export class AlertDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busy = new Map<string, number>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly ports: AlertDispatcherPorts,
    private readonly logger: Logger,
    private readonly options: AlertDeliveryOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async onTelemetry(batch: { workspaceId: string; thingName: string; items: TelemetryItem[] }): Promise<void> {
    const rules = await this.ports.rules.listEnabled(batch.workspaceId);
    for (const rule of rules) for (const signal of thresholdSignals(rule.definition, batch)) this.fire(rule, signal);
  }

  async onAnomaly(anomaly: Anomaly): Promise<void> {
    const rules = await this.ports.rules.listEnabled(anomaly.workspaceId);
    for (const rule of rules) {
      const signal = anomalySignal(rule.definition, anomaly);
      if (signal) this.fire(rule, signal);
    }
  }

  /** Resolves once the deliveries under way have ended; back-off waits are cut short. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims the cool-down at once (so a burst fires once), then delivers in the background. */
  private fire(rule: StoredAlertRule, signal: AlertSignal): void {
    if (this.stopping.signal.aborted) return;
    const key = cooldownKey(rule.id, signal);
    if (!this.ports.cooldowns.tryClaim(key, rule.definition.cooldownSeconds)) return;
    const deliveries = this.busy.get(rule.id) ?? 0;
    if (deliveries >= MAX_DELIVERIES_PER_RULE) {
      // Given back, so the series fires on its next signal once the rule has room.
      this.ports.cooldowns.release(key);
      this.logger.warn({ ruleId: rule.id, thingName: signal.thingName, field: signal.field }, 'alert rule busy: signal skipped');
      return;
    }
    this.busy.set(rule.id, deliveries + 1);
    const delivery = this.deliver(rule, signal)
      .catch((error: unknown) => this.logger.error({ err: error, ruleId: rule.id }, 'alert delivery failed'))
      .finally(() => {
        const left = (this.busy.get(rule.id) ?? 1) - 1;
        if (left > 0) this.busy.set(rule.id, left);
        else this.busy.delete(rule.id);
      });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliver(rule: StoredAlertRule, signal: AlertSignal): Promise<void> {
    const firedAt = new Date(this.now()).toISOString();
    const actions = await Promise.all(rule.definition.actions.map((action) => this.act(rule, signal, action, firedAt)));
    const ok = actions.every((action) => action.ok);
    await this.ports.rules.recordDelivery(rule.workspaceId, rule.id, { at: firedAt, thingName: signal.thingName, ok, actions });
    const log = { ruleId: rule.id, thingName: signal.thingName, field: signal.field, actions };
    if (ok) this.logger.info(log, 'alert delivered');
    else this.logger.warn(log, 'alert delivery failed');
  }

  /** One action's outcome; a thrown error is a failed action, so the others' outcomes are still recorded. */
  private async act(rule: StoredAlertRule, signal: AlertSignal, action: AlertAction, firedAt: string): Promise<AlertActionOutcome> {
    try {
      return await ('webhook' in action ? this.webhook(rule, signal, action.webhook, firedAt) : this.shadow(signal, action.shadow));
    } catch (error) {
      return { action: 'webhook' in action ? 'webhook' : 'shadow', ok: false, attempts: 0, error: messageOf(error) };
    }
  }

  private async webhook(rule: StoredAlertRule, signal: AlertSignal, action: WebhookAction, firedAt: string): Promise<AlertActionOutcome> {
    const secret = await this.ports.secrets.reveal(rule.workspaceId, action.secretName);
    if (secret === undefined) return { action: 'webhook', ok: false, attempts: 0, error: `the secret "${action.secretName}" is not set` };
    const body: AlertWebhookBody = {
      ruleId: rule.id,
      ruleName: rule.definition.name,
      workspaceId: signal.workspaceId,
      thingName: signal.thingName,
      ...(signal.stream === undefined ? {} : { stream: signal.stream }),
      field: signal.field,
      epoch: signal.epoch,
      value: signal.value,
      trigger: signal.trigger,
      ...(signal.score === undefined ? {} : { score: signal.score }),
      firedAt,
    };
    const text = JSON.stringify(body);
    const { webhookAttempts, webhookTimeoutMs, backoffMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      // Signed afresh for each attempt, so a receiver that refuses old timestamps accepts a late retry.
      const signature = signWebhook(secret, Math.floor(this.now() / 1000), text);
      const result = await this.ports.webhooks.send({ url: action.url, body: text, signature, timeoutMs: webhookTimeoutMs });
      if (result.ok) return { action: 'webhook', ok: true, attempts: attempt, httpStatus: result.httpStatus };
      if (!result.retryable || attempt >= webhookAttempts || !(await this.pause(backoffMs * 2 ** (attempt - 1)))) {
        return { action: 'webhook', ok: false, attempts: attempt, error: result.error, ...(result.httpStatus === undefined ? {} : { httpStatus: result.httpStatus }) };
      }
    }
  }

  private async shadow(signal: AlertSignal, action: { shadowName?: string; desired: Record<string, unknown> }): Promise<AlertActionOutcome> {
    if (!this.ports.shadows) return { action: 'shadow', ok: false, attempts: 0, error: 'no shadow service runs in this process' };
    const target = { workspaceId: signal.workspaceId, thingName: signal.thingName, ...(action.shadowName ? { shadowName: action.shadowName } : {}) };
    const result = await this.ports.shadows.setDesired(target, action.desired);
    return result.ok ? { action: 'shadow', ok: true, attempts: 1 } : { action: 'shadow', ok: false, attempts: 1, error: result.error };
  }

  /** Waits `ms`; false when the process began stopping meanwhile (no further attempt then). */
  private pause(ms: number): Promise<boolean> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve(true);
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', stop, { once: true });
    });
  }
}
