import type { PolicyDocument } from '@citus/contracts';
import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { PolicyRepository, StoredPolicy } from '../../domain/policy/policy.model.js';

export const POLICY_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE policies (
        workspace_id TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, name)
      ) WITHOUT ROWID;
      -- A policy cannot go while attached (AWS IoT's DeletePolicy refuses too): RESTRICT backs the check.
      CREATE TABLE policy_attachments (
        workspace_id TEXT NOT NULL,
        policy_name TEXT NOT NULL,
        certificate_id TEXT NOT NULL,
        attached_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, policy_name, certificate_id),
        FOREIGN KEY (workspace_id, policy_name) REFERENCES policies (workspace_id, name) ON DELETE RESTRICT
      ) WITHOUT ROWID;
      CREATE INDEX policy_attachments_by_certificate ON policy_attachments (workspace_id, certificate_id);`,
  },
];

interface PolicyRow {
  workspace_id: string;
  name: string;
  document: string;
  version: number;
  created_at: string;
  updated_at: string;
}

const toPolicy = (row: PolicyRow): StoredPolicy => ({
  workspaceId: row.workspace_id,
  policyName: row.name,
  document: JSON.parse(row.document) as PolicyDocument,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Named policies per workspace and their attachments to certificates, in `policies.db`. */
export class SqlitePolicyRepository implements PolicyRepository {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO policies (workspace_id, name, document, version, created_at, updated_at)
         VALUES (@workspaceId, @policyName, @document, @version, @createdAt, @updatedAt)
         ON CONFLICT DO NOTHING`,
      ),
      list: db.prepare('SELECT * FROM policies WHERE workspace_id = ? ORDER BY name'),
      get: db.prepare('SELECT * FROM policies WHERE workspace_id = ? AND name = ?'),
      replace: db.prepare(
        `UPDATE policies SET document = ?, version = version + 1, updated_at = ?
         WHERE workspace_id = ? AND name = ? RETURNING *`,
      ),
      countTargets: db.prepare('SELECT count(*) FROM policy_attachments WHERE workspace_id = ? AND policy_name = ?').pluck(),
      delete: db.prepare('DELETE FROM policies WHERE workspace_id = ? AND name = ?'),
      attach: db.prepare(
        `INSERT INTO policy_attachments (workspace_id, policy_name, certificate_id, attached_at) VALUES (?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      detach: db.prepare('DELETE FROM policy_attachments WHERE workspace_id = ? AND policy_name = ? AND certificate_id = ?'),
      attachedTo: db.prepare(
        `SELECT p.* FROM policy_attachments a
         JOIN policies p ON p.workspace_id = a.workspace_id AND p.name = a.policy_name
         WHERE a.workspace_id = ? AND a.certificate_id = ? ORDER BY p.name`,
      ),
      targetsOf: db
        .prepare('SELECT certificate_id FROM policy_attachments WHERE workspace_id = ? AND policy_name = ? ORDER BY certificate_id')
        .pluck(),
    };
  }

  create(policy: StoredPolicy): boolean {
    return this.sql.insert.run({ ...policy, document: JSON.stringify(policy.document) }).changes === 1;
  }

  list(workspaceId: string): StoredPolicy[] {
    return (this.sql.list.all(workspaceId) as PolicyRow[]).map(toPolicy);
  }

  get(workspaceId: string, policyName: string): StoredPolicy | undefined {
    const row = this.sql.get.get(workspaceId, policyName) as PolicyRow | undefined;
    return row && toPolicy(row);
  }

  replaceDocument(workspaceId: string, policyName: string, document: PolicyDocument, updatedAt: string): StoredPolicy | undefined {
    const row = this.sql.replace.get(JSON.stringify(document), updatedAt, workspaceId, policyName) as PolicyRow | undefined;
    return row && toPolicy(row);
  }

  delete(workspaceId: string, policyName: string): 'deleted' | 'not-found' | 'attached' {
    return this.db.transaction(() => {
      if ((this.sql.countTargets.get(workspaceId, policyName) as number) > 0) return 'attached' as const;
      return this.sql.delete.run(workspaceId, policyName).changes === 1 ? ('deleted' as const) : ('not-found' as const);
    }).immediate();
  }

  attach(workspaceId: string, policyName: string, certificateId: string, attachedAt: string): void {
    this.sql.attach.run(workspaceId, policyName, certificateId, attachedAt);
  }

  detach(workspaceId: string, policyName: string, certificateId: string): boolean {
    return this.sql.detach.run(workspaceId, policyName, certificateId).changes === 1;
  }

  attachedTo(workspaceId: string, certificateId: string): StoredPolicy[] {
    return (this.sql.attachedTo.all(workspaceId, certificateId) as PolicyRow[]).map(toPolicy);
  }

  targetsOf(workspaceId: string, policyName: string): string[] {
    return this.sql.targetsOf.all(workspaceId, policyName) as string[];
  }
}
