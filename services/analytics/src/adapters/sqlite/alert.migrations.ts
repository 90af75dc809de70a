import type { Migration } from '@citus/sqlite';

/**
 * `alerts.db`: workspace secrets (encrypted), alert rules and third-party analysers. Its own file,
 * apart from `analytics.db` (detector state and anomalies), so the two evolve independently.
 */
export const ALERT_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE secrets (
        workspace_id TEXT NOT NULL,
        name TEXT NOT NULL,
        -- AES-256-GCM: 12-byte nonce, ciphertext, 16-byte tag; the workspace and name are its associated data.
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        tag BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, name)
      ) WITHOUT ROWID;
      CREATE TABLE alert_rules (
        rule_id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        -- The validated rule request as JSON: name, enabled, match, trigger, actions, cooldown.
        definition TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_delivery TEXT
      );
      CREATE INDEX alert_rules_workspace ON alert_rules (workspace_id, created_at);
      CREATE TABLE analysers (
        analyser_id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_run TEXT,
        UNIQUE (workspace_id, name)
      );
    `,
  },
];
