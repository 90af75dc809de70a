import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type {
  ClaimCertificateRecord,
  PendingCertificateRecord,
  ProvisioningRepository,
  TemplateRecord,
} from '../../domain/provisioning/provisioning.model.js';

export const PROVISIONING_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE provisioning_templates (
        workspace_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        thing_name_prefix TEXT NOT NULL,
        thing_name_parameter TEXT NOT NULL,
        parameters TEXT NOT NULL,
        device_configuration TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, name)
      );
      CREATE TABLE claim_certificates (
        certificate_id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        template_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'REVOKED')),
        not_after TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX claim_certificates_by_template ON claim_certificates (workspace_id, template_name);
      CREATE TABLE pending_certificates (
        certificate_id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        workspace_id TEXT NOT NULL,
        template_name TEXT NOT NULL,
        claim_certificate_id TEXT NOT NULL,
        certificate_pem TEXT NOT NULL,
        not_after TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      );
      CREATE INDEX pending_by_claim ON pending_certificates (claim_certificate_id, expires_at);
      CREATE INDEX pending_by_expiry ON pending_certificates (expires_at);`,
  },
];

const TEMPLATE_COLUMNS = `workspace_id AS workspaceId, name, description, thing_name_prefix AS thingNamePrefix,
  thing_name_parameter AS thingNameParameter, parameters, device_configuration AS deviceConfiguration, enabled,
  created_at AS createdAt, updated_at AS updatedAt`;
const CLAIM_COLUMNS = `certificate_id AS certificateId, workspace_id AS workspaceId, template_name AS templateName,
  status, not_after AS notAfter, created_at AS createdAt, revoked_at AS revokedAt`;
const PENDING_COLUMNS = `certificate_id AS certificateId, token_hash AS tokenHash, workspace_id AS workspaceId,
  template_name AS templateName, claim_certificate_id AS claimCertificateId, certificate_pem AS certificatePem,
  not_after AS notAfter, created_at AS createdAt, expires_at AS expiresAt, used_at AS usedAt`;

interface TemplateRow extends Omit<TemplateRecord, 'parameters' | 'deviceConfiguration' | 'enabled'> {
  parameters: string;
  deviceConfiguration: string;
  enabled: number;
}

const fromRow = (row: TemplateRow): TemplateRecord => ({
  ...row,
  parameters: JSON.parse(row.parameters) as TemplateRecord['parameters'],
  deviceConfiguration: JSON.parse(row.deviceConfiguration) as TemplateRecord['deviceConfiguration'],
  enabled: row.enabled === 1,
});

/** Templates, claim certificates and pending certificates in `provisioning.db`. */
export class SqliteProvisioningRepository implements ProvisioningRepository {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      insertTemplate: db.prepare(
        `INSERT INTO provisioning_templates (workspace_id, name, description, thing_name_prefix, thing_name_parameter,
           parameters, device_configuration, enabled, created_at, updated_at)
         VALUES (@workspaceId, @name, @description, @thingNamePrefix, @thingNameParameter, @parameters,
           @deviceConfiguration, @enabled, @createdAt, @updatedAt)
         ON CONFLICT (workspace_id, name) DO NOTHING`,
      ),
      getTemplate: db.prepare(`SELECT ${TEMPLATE_COLUMNS} FROM provisioning_templates WHERE workspace_id = ? AND name = ?`),
      listTemplates: db.prepare(`SELECT ${TEMPLATE_COLUMNS} FROM provisioning_templates WHERE workspace_id = ? ORDER BY name`),
      deleteTemplate: db.prepare('DELETE FROM provisioning_templates WHERE workspace_id = ? AND name = ?'),
      revokeClaims: db.prepare(
        `UPDATE claim_certificates SET status = 'REVOKED', revoked_at = ?
         WHERE workspace_id = ? AND template_name = ? AND status = 'ACTIVE' RETURNING certificate_id`,
      ),
      dropUnusedPending: db.prepare('DELETE FROM pending_certificates WHERE workspace_id = ? AND template_name = ? AND used_at IS NULL'),
      insertClaim: db.prepare(
        `INSERT INTO claim_certificates (certificate_id, workspace_id, template_name, status, not_after, created_at, revoked_at)
         VALUES (@certificateId, @workspaceId, @templateName, @status, @notAfter, @createdAt, @revokedAt)`,
      ),
      findClaim: db.prepare(`SELECT ${CLAIM_COLUMNS} FROM claim_certificates WHERE certificate_id = ?`),
      revokeClaim: db.prepare(
        `UPDATE claim_certificates SET status = 'REVOKED', revoked_at = COALESCE(revoked_at, @at)
         WHERE workspace_id = @workspaceId AND template_name = @templateName AND certificate_id = @certificateId
         RETURNING ${CLAIM_COLUMNS}`,
      ),
      insertPending: db.prepare(
        `INSERT INTO pending_certificates (certificate_id, token_hash, workspace_id, template_name, claim_certificate_id,
           certificate_pem, not_after, created_at, expires_at, used_at)
         VALUES (@certificateId, @tokenHash, @workspaceId, @templateName, @claimCertificateId, @certificatePem,
           @notAfter, @createdAt, @expiresAt, @usedAt)`,
      ),
      countOpen: db.prepare(
        'SELECT COUNT(*) FROM pending_certificates WHERE claim_certificate_id = ? AND expires_at > ? AND used_at IS NULL',
      ),
      pendingByToken: db.prepare(`SELECT ${PENDING_COLUMNS} FROM pending_certificates WHERE token_hash = ?`),
      consume: db.prepare('UPDATE pending_certificates SET used_at = ? WHERE token_hash = ? AND used_at IS NULL'),
      release: db.prepare('UPDATE pending_certificates SET used_at = NULL WHERE token_hash = ?'),
      prune: db.prepare('DELETE FROM pending_certificates WHERE expires_at < ?'),
    };
  }

  insertTemplate(template: TemplateRecord): boolean {
    const row = {
      ...template,
      parameters: JSON.stringify(template.parameters),
      deviceConfiguration: JSON.stringify(template.deviceConfiguration),
      enabled: template.enabled ? 1 : 0,
    };
    return this.sql.insertTemplate.run(row).changes === 1;
  }

  getTemplate(workspaceId: string, name: string): TemplateRecord | undefined {
    const row = this.sql.getTemplate.get(workspaceId, name) as TemplateRow | undefined;
    return row && fromRow(row);
  }

  listTemplates(workspaceId: string): TemplateRecord[] {
    return (this.sql.listTemplates.all(workspaceId) as TemplateRow[]).map(fromRow);
  }

  deleteTemplate(workspaceId: string, name: string, at: string): string[] | undefined {
    return this.db.transaction(() => {
      if (this.sql.deleteTemplate.run(workspaceId, name).changes !== 1) return undefined;
      this.sql.dropUnusedPending.run(workspaceId, name);
      return this.sql.revokeClaims.pluck().all(at, workspaceId, name) as string[];
    })();
  }

  insertClaimCertificate(certificate: ClaimCertificateRecord): void {
    this.sql.insertClaim.run(certificate);
  }

  findClaimCertificate(certificateId: string): ClaimCertificateRecord | undefined {
    return this.sql.findClaim.get(certificateId) as ClaimCertificateRecord | undefined;
  }

  revokeClaimCertificate(workspaceId: string, templateName: string, certificateId: string, at: string): ClaimCertificateRecord | undefined {
    return this.sql.revokeClaim.get({ workspaceId, templateName, certificateId, at }) as ClaimCertificateRecord | undefined;
  }

  insertPending(pending: PendingCertificateRecord): void {
    this.sql.insertPending.run(pending);
  }

  countOpenPending(claimCertificateId: string, now: string): number {
    return this.sql.countOpen.pluck().get(claimCertificateId, now) as number;
  }

  findPendingByTokenHash(tokenHash: string): PendingCertificateRecord | undefined {
    return this.sql.pendingByToken.get(tokenHash) as PendingCertificateRecord | undefined;
  }

  consumePending(tokenHash: string, at: string): boolean {
    return this.sql.consume.run(at, tokenHash).changes === 1;
  }

  releasePending(tokenHash: string): void {
    this.sql.release.run(tokenHash);
  }

  prunePending(before: string): number {
    return this.sql.prune.run(before).changes;
  }
}
