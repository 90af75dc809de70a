import { AlertDelivery, AlertRuleRequest } from '@citus/contracts';
import type { SqliteDatabase } from '@citus/sqlite';
import type { AlertRuleRepository, StoredAlertRule } from '../../domain/alert-rule.model.js';

interface RuleRow {
  rule_id: string;
  workspace_id: string;
  definition: string;
  created_at: number;
  updated_at: number;
  last_delivery: string | null;
}

// Parsed on the way out too: a row written by an older version still reads as today's contract.
const toRule = (row: RuleRow): StoredAlertRule => ({
  id: row.rule_id,
  workspaceId: row.workspace_id,
  definition: AlertRuleRequest.parse(JSON.parse(row.definition)),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastDelivery: row.last_delivery === null ? null : AlertDelivery.parse(JSON.parse(row.last_delivery)),
});

/** Alert rules in `alerts.db`; every statement names the workspace. */
export class SqliteAlertRuleRepository implements AlertRuleRepository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(`INSERT INTO alert_rules (rule_id, workspace_id, definition, created_at, updated_at, last_delivery)
        VALUES (?, ?, ?, ?, ?, NULL)`),
      replace: db.prepare('UPDATE alert_rules SET definition = ?, updated_at = ? WHERE workspace_id = ? AND rule_id = ?'),
      find: db.prepare('SELECT * FROM alert_rules WHERE workspace_id = ? AND rule_id = ?'),
      list: db.prepare('SELECT * FROM alert_rules WHERE workspace_id = ? ORDER BY created_at, rule_id'),
      delete: db.prepare('DELETE FROM alert_rules WHERE workspace_id = ? AND rule_id = ?'),
      enabled: db.prepare(`SELECT * FROM alert_rules WHERE workspace_id = ? AND json_extract(definition, '$.enabled') = 1`),
      delivery: db.prepare('UPDATE alert_rules SET last_delivery = ? WHERE workspace_id = ? AND rule_id = ?'),
    };
  }

  async insert(rule: StoredAlertRule): Promise<void> {
    this.statements.insert.run(rule.id, rule.workspaceId, JSON.stringify(rule.definition), rule.createdAt, rule.updatedAt);
  }

  async replace(rule: Omit<StoredAlertRule, 'createdAt' | 'lastDelivery'>): Promise<boolean> {
    return this.statements.replace.run(JSON.stringify(rule.definition), rule.updatedAt, rule.workspaceId, rule.id).changes > 0;
  }

  async find(workspaceId: string, ruleId: string): Promise<StoredAlertRule | undefined> {
    const row = this.statements.find.get(workspaceId, ruleId) as RuleRow | undefined;
    return row && toRule(row);
  }

  async list(workspaceId: string): Promise<StoredAlertRule[]> {
    return (this.statements.list.all(workspaceId) as RuleRow[]).map(toRule);
  }

  async delete(workspaceId: string, ruleId: string): Promise<boolean> {
    return this.statements.delete.run(workspaceId, ruleId).changes > 0;
  }

  async listEnabled(workspaceId: string): Promise<StoredAlertRule[]> {
    return (this.statements.enabled.all(workspaceId) as RuleRow[]).map(toRule);
  }

  async recordDelivery(workspaceId: string, ruleId: string, delivery: AlertDelivery): Promise<void> {
    this.statements.delivery.run(JSON.stringify(delivery), workspaceId, ruleId);
  }
}
