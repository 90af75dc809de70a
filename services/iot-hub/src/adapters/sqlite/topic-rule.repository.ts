import type { RuleAction } from '@citus/contracts';
import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { RuleDefinition, StoredRule, TopicRuleRepository } from '../../domain/rules/topic-rule.model.js';

export const TOPIC_RULE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE topic_rules (
        workspace_id TEXT NOT NULL,
        name TEXT NOT NULL,
        sql TEXT NOT NULL,
        description TEXT NOT NULL,
        actions TEXT NOT NULL,
        error_action TEXT,
        rule_disabled INTEGER NOT NULL,
        secret_nonce BLOB NOT NULL,
        secret_ciphertext BLOB NOT NULL,
        secret_tag BLOB NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, name)
      ) WITHOUT ROWID;
      CREATE TABLE rule_workspaces (
        workspace_id TEXT PRIMARY KEY,
        seeded_at TEXT NOT NULL
      ) WITHOUT ROWID;`,
  },
];

interface RuleRow {
  workspace_id: string;
  name: string;
  sql: string;
  description: string;
  actions: string;
  error_action: string | null;
  rule_disabled: number;
  secret_nonce: Buffer;
  secret_ciphertext: Buffer;
  secret_tag: Buffer;
  created_at: string;
  updated_at: string;
}

const toRule = (row: RuleRow): StoredRule => ({
  workspaceId: row.workspace_id,
  name: row.name,
  sql: row.sql,
  description: row.description,
  actions: JSON.parse(row.actions) as RuleAction[],
  ...(row.error_action === null ? {} : { errorAction: JSON.parse(row.error_action) as RuleAction }),
  ruleDisabled: row.rule_disabled === 1,
  signingSecret: { nonce: row.secret_nonce, ciphertext: row.secret_ciphertext, tag: row.secret_tag },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const definitionColumns = (definition: RuleDefinition) => ({
  sql: definition.sql,
  description: definition.description,
  actions: JSON.stringify(definition.actions),
  errorAction: definition.errorAction === undefined ? null : JSON.stringify(definition.errorAction),
  ruleDisabled: definition.ruleDisabled ? 1 : 0,
});

/** The topic rules of every workspace, in `rules.db`. */
export class SqliteTopicRuleRepository implements TopicRuleRepository {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO topic_rules (workspace_id, name, sql, description, actions, error_action, rule_disabled,
           secret_nonce, secret_ciphertext, secret_tag, created_at, updated_at)
         VALUES (@workspaceId, @name, @sql, @description, @actions, @errorAction, @ruleDisabled,
           @nonce, @ciphertext, @tag, @createdAt, @updatedAt)
         ON CONFLICT DO NOTHING`,
      ),
      get: db.prepare('SELECT * FROM topic_rules WHERE workspace_id = ? AND name = ?'),
      list: db.prepare('SELECT * FROM topic_rules WHERE workspace_id = ? ORDER BY name'),
      all: db.prepare('SELECT * FROM topic_rules ORDER BY workspace_id, name'),
      replace: db.prepare(
        `UPDATE topic_rules SET sql = @sql, description = @description, actions = @actions, error_action = @errorAction,
           rule_disabled = @ruleDisabled, updated_at = @updatedAt
         WHERE workspace_id = @workspaceId AND name = @name`,
      ),
      delete: db.prepare('DELETE FROM topic_rules WHERE workspace_id = ? AND name = ?'),
      seed: db.prepare('INSERT INTO rule_workspaces (workspace_id, seeded_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    };
  }

  insert(rule: StoredRule): boolean {
    const { nonce, ciphertext, tag } = rule.signingSecret;
    const row = { workspaceId: rule.workspaceId, name: rule.name, ...definitionColumns(rule), nonce, ciphertext, tag, createdAt: rule.createdAt, updatedAt: rule.updatedAt };
    return this.sql.insert.run(row).changes === 1;
  }

  get(workspaceId: string, name: string): StoredRule | undefined {
    const row = this.sql.get.get(workspaceId, name) as RuleRow | undefined;
    return row && toRule(row);
  }

  list(workspaceId: string): StoredRule[] {
    return (this.sql.list.all(workspaceId) as RuleRow[]).map(toRule);
  }

  all(): StoredRule[] {
    return (this.sql.all.all() as RuleRow[]).map(toRule);
  }

  replace(workspaceId: string, name: string, definition: RuleDefinition, updatedAt: string): boolean {
    return this.sql.replace.run({ workspaceId, name, ...definitionColumns(definition), updatedAt }).changes === 1;
  }

  delete(workspaceId: string, name: string): boolean {
    return this.sql.delete.run(workspaceId, name).changes === 1;
  }

  seed(workspaceId: string, at: string, rules: StoredRule[]): boolean {
    return this.db.transaction(() => {
      if (this.sql.seed.run(workspaceId, at).changes !== 1) return false;
      for (const rule of rules) this.insert(rule);
      return true;
    }).immediate();
  }
}
