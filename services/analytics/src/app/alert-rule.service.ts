import type { AlertRule, AlertRuleRequest } from '@citus/contracts';
import { newId, notFound } from '@citus/kit';
import type { AlertRuleRepository, StoredAlertRule } from '../domain/alert-rule.model.js';

export const viewOfRule = (rule: StoredAlertRule): AlertRule => ({
  id: rule.id,
  ...rule.definition,
  createdAt: new Date(rule.createdAt).toISOString(),
  updatedAt: new Date(rule.updatedAt).toISOString(),
  lastDelivery: rule.lastDelivery,
});

/** Alert rules' use cases, each within one workspace: another workspace's rule is "not found". */
export class AlertRuleService {
  constructor(
    private readonly rules: AlertRuleRepository,
    /** Told when a rule changes or goes, so its cool-downs start afresh. */
    private readonly onChange: (ruleId: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async create(workspaceId: string, definition: AlertRuleRequest): Promise<AlertRule> {
    const at = this.now();
    const rule: StoredAlertRule = { id: newId('alr'), workspaceId, definition, createdAt: at, updatedAt: at, lastDelivery: null };
    await this.rules.insert(rule);
    return viewOfRule(rule);
  }

  async list(workspaceId: string): Promise<AlertRule[]> {
    return (await this.rules.list(workspaceId)).map(viewOfRule);
  }

  async get(workspaceId: string, ruleId: string): Promise<AlertRule> {
    const rule = await this.rules.find(workspaceId, ruleId);
    if (!rule) throw notFound('alert rule');
    return viewOfRule(rule);
  }

  async replace(workspaceId: string, ruleId: string, definition: AlertRuleRequest): Promise<AlertRule> {
    if (!(await this.rules.replace({ id: ruleId, workspaceId, definition, updatedAt: this.now() }))) throw notFound('alert rule');
    this.onChange(ruleId);
    return this.get(workspaceId, ruleId);
  }

  async delete(workspaceId: string, ruleId: string): Promise<void> {
    if (!(await this.rules.delete(workspaceId, ruleId))) throw notFound('alert rule');
    this.onChange(ruleId);
  }
}
