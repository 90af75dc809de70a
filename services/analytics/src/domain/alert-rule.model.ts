import type { AlertDelivery, AlertRuleRequest } from '@citus/contracts';

/** A rule as kept: its validated definition, in its workspace. */
export interface StoredAlertRule {
  id: string;
  workspaceId: string;
  definition: AlertRuleRequest;
  createdAt: number;
  updatedAt: number;
  lastDelivery: AlertDelivery | null;
}

/** Port: alert rules, always read and changed within one workspace. */
export interface AlertRuleRepository {
  insert(rule: StoredAlertRule): Promise<void>;
  /** False when the workspace has no such rule. Keeps the last delivery. */
  replace(rule: Omit<StoredAlertRule, 'createdAt' | 'lastDelivery'>): Promise<boolean>;
  find(workspaceId: string, ruleId: string): Promise<StoredAlertRule | undefined>;
  list(workspaceId: string): Promise<StoredAlertRule[]>;
  delete(workspaceId: string, ruleId: string): Promise<boolean>;
  /** The enabled rules of a workspace: what each telemetry batch and anomaly is checked against. */
  listEnabled(workspaceId: string): Promise<StoredAlertRule[]>;
  recordDelivery(workspaceId: string, ruleId: string, delivery: AlertDelivery): Promise<void>;
}
