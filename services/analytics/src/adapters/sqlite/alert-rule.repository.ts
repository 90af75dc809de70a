import { AlertDelivery, AlertRuleRequest } from '@citus/contracts';
import type { Logger } from '@citus/kit';
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

/** Before the one-second minimum, 0 meant "no cool-down": such a rule now reads as the shortest one allowed. */
const upgraded = (definition: unknown): unknown =>
  typeof definition === 'object' && definition !== null && (definition as { cooldownSeconds?: unknown }).cooldownSeconds === 0
    ? { ...definition, cooldownSeconds: 1 }
    : definition;

// Parsed on the way out too: a row written by an older version still reads as today's contract,
// and one that cannot is a fault of the store (an Error, so a 500), never the caller's 400.
function toRule(row: RuleRow): StoredAlertRule {
  const definition = AlertRuleRequest.safeParse(upgraded(JSON.parse(row.definition)));
  const lastDelivery = row.last_delivery === null ? null : AlertDelivery.safeParse(JSON.parse(row.last_delivery));
  if (!definition.success) throw new Error(`stored alert rule ${row.rule_id} does not parse: ${definition.error.issues[0]?.message ?? 'invalid'}`);
  if (lastDelivery && !lastDelivery.success) throw new Error(`stored delivery of alert rule ${row.rule_id} does not parse: ${lastDelivery.error.issues[0]?.message ?? 'invalid'}`);
  return {
    id: row.rule_id,
    workspaceId: row.workspace_id,
    definition: definition.data,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastDelivery: lastDelivery && lastDelivery.data,
  };
}

/**
 * Alert rules in `alerts.db`; every statement names the workspace. The enabled rules are checked
 * on every telemetry batch, so they are kept per workspace once read, until a rule of the
 * workspace is inserted, replaced or deleted (all through here). Kept rules carry the last
 * delivery they were read with: the dispatcher uses only their definitions.
 */
export class SqliteAlertRuleRepository implements AlertRuleRepository {
  private readonly statements;
  private readonly enabledByWorkspace = new Map<string, StoredAlertRule[]>();

  constructor(
    db: SqliteDatabase,
    private readonly logger: Logger,
  ) {
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
    this.enabledByWorkspace.delete(rule.workspaceId);
    this.statements.insert.run(rule.id, rule.workspaceId, JSON.stringify(rule.definition), rule.createdAt, rule.updatedAt);
  }

  async replace(rule: Omit<StoredAlertRule, 'createdAt' | 'lastDelivery'>): Promise<boolean> {
    this.enabledByWorkspace.delete(rule.workspaceId);
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
    this.enabledByWorkspace.delete(workspaceId);
    return this.statements.delete.run(workspaceId, ruleId).changes > 0;
  }

  /** A row that no longer parses is left out (and logged), so it cannot stop the workspace's other rules. */
  async listEnabled(workspaceId: string): Promise<StoredAlertRule[]> {
    const kept = this.enabledByWorkspace.get(workspaceId);
    if (kept) return kept;
    const rules: StoredAlertRule[] = [];
    for (const row of this.statements.enabled.all(workspaceId) as RuleRow[]) {
      try {
        rules.push(toRule(row));
      } catch (error) {
        this.logger.error({ err: error, workspaceId, ruleId: row.rule_id }, 'stored alert rule skipped');
      }
    }
    this.enabledByWorkspace.set(workspaceId, rules);
    return rules;
  }

  async recordDelivery(workspaceId: string, ruleId: string, delivery: AlertDelivery): Promise<void> {
    this.statements.delivery.run(JSON.stringify(delivery), workspaceId, ruleId);
  }
}
