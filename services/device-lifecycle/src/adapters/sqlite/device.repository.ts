import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type {
  ActivationRecord,
  ActiveCertificateEntry,
  CertificateRecord,
  DeviceMetadataPatch,
  DeviceRecord,
  DeviceRepository,
  ThingEntry,
} from '../../domain/device.model.js';

export const DEVICE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        thing_name TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        type TEXT,
        location TEXT,
        latitude REAL,
        longitude REAL,
        status TEXT NOT NULL CHECK (status IN ('declared', 'active', 'revoked')),
        certificate_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX devices_by_workspace ON devices (workspace_id, created_at);
      CREATE TABLE activations (
        device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        code_hash TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE certificates (
        id TEXT PRIMARY KEY,
        thing_name TEXT NOT NULL,
        device_id TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        certificate_pem TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'REVOKED')),
        not_after TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX certificates_by_device ON certificates (device_id);`,
  },
];

const DEVICE_COLUMNS = `id, workspace_id AS workspaceId, thing_name AS thingName, name, type, location, latitude,
  longitude, status, certificate_id AS certificateId, created_at AS createdAt, updated_at AS updatedAt`;
const ACTIVATION_COLUMNS = `device_id AS deviceId, code_hash AS codeHash, expires_at AS expiresAt,
  failed_attempts AS failedAttempts`;
const CERTIFICATE_COLUMNS = `id, thing_name AS thingName, device_id AS deviceId, workspace_id AS workspaceId,
  certificate_pem AS certificatePem, status, not_after AS notAfter, created_at AS createdAt, revoked_at AS revokedAt`;
const PATCHABLE = ['name', 'type', 'location', 'latitude', 'longitude'] as const;

/** A unique thing name or certificate id already taken, or a device gone: an answer, not a fault. */
const isConstraint = (error: unknown) => (error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') === true;

/**
 * The embedded registry: `devices.db`. better-sqlite3 is synchronous, so each method does its work
 * (one transaction) before it returns; the promise only carries the answer.
 */
export class SqliteDeviceRepository implements DeviceRepository {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      insertDevice: db.prepare(
        `INSERT INTO devices (id, workspace_id, thing_name, name, type, location, latitude, longitude, status,
           certificate_id, created_at, updated_at)
         VALUES (@id, @workspaceId, @thingName, @name, @type, @location, @latitude, @longitude, @status,
           @certificateId, @createdAt, @updatedAt)`,
      ),
      putActivation: db.prepare(
        `INSERT INTO activations (device_id, code_hash, expires_at, failed_attempts)
         VALUES (@deviceId, @codeHash, @expiresAt, @failedAttempts)
         ON CONFLICT (device_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,
           failed_attempts = 0`,
      ),
      get: db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE workspace_id = ? AND id = ?`),
      byId: db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`),
      byThingName: db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE thing_name = ?`),
      list: db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE workspace_id = ? ORDER BY created_at, id`),
      deleteDevice: db.prepare('DELETE FROM devices WHERE workspace_id = ? AND id = ?'),
      activation: db.prepare(`SELECT ${ACTIVATION_COLUMNS} FROM activations WHERE device_id = ?`),
      failedAttempt: db.prepare(
        'UPDATE activations SET failed_attempts = failed_attempts + 1 WHERE device_id = ? RETURNING failed_attempts',
      ),
      consumeActivation: db.prepare('DELETE FROM activations WHERE device_id = ? AND code_hash = ?'),
      insertCertificate: db.prepare(
        `INSERT INTO certificates (id, thing_name, device_id, workspace_id, certificate_pem, status, not_after,
           created_at, revoked_at)
         VALUES (@id, @thingName, @deviceId, @workspaceId, @certificatePem, @status, @notAfter, @createdAt, @revokedAt)`,
      ),
      markActive: db.prepare(
        "UPDATE devices SET status = 'active', certificate_id = ?, updated_at = ? WHERE id = ?",
      ),
      revokeCertificates: db.prepare(
        `UPDATE certificates SET status = 'REVOKED', revoked_at = ? WHERE device_id = ? AND status = 'ACTIVE'
         RETURNING id`,
      ),
      dropActivation: db.prepare('DELETE FROM activations WHERE device_id = ?'),
      markRevoked: db.prepare(
        "UPDATE devices SET status = 'revoked', updated_at = ? WHERE workspace_id = ? AND id = ?",
      ),
      certificate: db.prepare(`SELECT ${CERTIFICATE_COLUMNS} FROM certificates WHERE id = ?`),
      things: db.prepare('SELECT thing_name AS thingName, workspace_id AS workspaceId FROM devices'),
      activeCertificates: db.prepare(
        `SELECT id, thing_name AS thingName, workspace_id AS workspaceId, not_after AS notAfter
         FROM certificates WHERE status = 'ACTIVE'`,
      ),
    };
  }

  async insert(device: DeviceRecord, activation: ActivationRecord): Promise<boolean> {
    return this.refusingConstraints(() => {
      this.sql.insertDevice.run(device);
      this.sql.putActivation.run(activation);
    });
  }

  async insertActivated(device: DeviceRecord, certificate: CertificateRecord): Promise<boolean> {
    return this.refusingConstraints(() => {
      this.sql.insertDevice.run(device);
      this.sql.insertCertificate.run(certificate);
    });
  }

  async get(workspaceId: string, id: string): Promise<DeviceRecord | undefined> {
    return this.device(workspaceId, id);
  }

  async findByThingName(thingName: string): Promise<DeviceRecord | undefined> {
    return this.sql.byThingName.get(thingName) as DeviceRecord | undefined;
  }

  async list(workspaceId: string): Promise<DeviceRecord[]> {
    return this.sql.list.all(workspaceId) as DeviceRecord[];
  }

  async update(workspaceId: string, id: string, patch: DeviceMetadataPatch, updatedAt: string): Promise<DeviceRecord | undefined> {
    // Column names come from a fixed list, never from the request: only values are bound.
    const columns = PATCHABLE.filter((column) => column in patch);
    const assignments = [...columns.map((column) => `${column} = @${column}`), 'updated_at = @updatedAt'].join(', ');
    const values: Record<string, unknown> = { workspaceId, id, updatedAt };
    for (const column of columns) values[column] = patch[column] ?? null;
    this.db.prepare(`UPDATE devices SET ${assignments} WHERE workspace_id = @workspaceId AND id = @id`).run(values);
    return this.device(workspaceId, id);
  }

  async delete(workspaceId: string, id: string, at: string): Promise<string[]> {
    return this.db.transaction(() => {
      // Certificates carry no workspace check of their own: the device's scoping decides for them.
      if (!this.device(workspaceId, id)) return [];
      const revoked = this.revokeCertificates(id, at);
      this.sql.deleteDevice.run(workspaceId, id);
      return revoked;
    })();
  }

  async findForActivation(id: string): Promise<{ device: DeviceRecord; activation: ActivationRecord | undefined } | undefined> {
    const device = this.sql.byId.get(id) as DeviceRecord | undefined;
    if (!device) return undefined;
    return { device, activation: this.sql.activation.get(id) as ActivationRecord | undefined };
  }

  async putActivation(activation: ActivationRecord): Promise<boolean> {
    // The activation's foreign key refuses a device deleted meanwhile.
    return this.refusingConstraints(() => this.sql.putActivation.run(activation));
  }

  async recordFailedAttempt(deviceId: string): Promise<number> {
    return (this.sql.failedAttempt.pluck().get(deviceId) as number | undefined) ?? 0;
  }

  async completeActivation(deviceId: string, codeHash: string, certificate: CertificateRecord, at: string): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.sql.consumeActivation.run(deviceId, codeHash).changes !== 1) return false;
      this.revokeCertificates(deviceId, at);
      this.sql.insertCertificate.run(certificate);
      this.sql.markActive.run(certificate.id, at, deviceId);
      return true;
    })();
  }

  async revoke(workspaceId: string, id: string, at: string): Promise<string[]> {
    return this.db.transaction(() => {
      if (!this.device(workspaceId, id)) return [];
      const revoked = this.revokeCertificates(id, at);
      // A pending code dies with the revocation: only a code issued after it may activate again.
      this.sql.dropActivation.run(id);
      this.sql.markRevoked.run(at, workspaceId, id);
      return revoked;
    })();
  }

  async findCertificate(id: string): Promise<CertificateRecord | undefined> {
    return this.sql.certificate.get(id) as CertificateRecord | undefined;
  }

  async directoryEntries(): Promise<{ things: ThingEntry[]; activeCertificates: ActiveCertificateEntry[] }> {
    return this.db.transaction(() => ({
      things: this.sql.things.all() as ThingEntry[],
      activeCertificates: this.sql.activeCertificates.all() as ActiveCertificateEntry[],
    }))();
  }

  private device(workspaceId: string, id: string): DeviceRecord | undefined {
    return this.sql.get.get(workspaceId, id) as DeviceRecord | undefined;
  }

  private revokeCertificates(deviceId: string, at: string): string[] {
    return this.sql.revokeCertificates.pluck().all(at, deviceId) as string[];
  }

  /** Runs the writes in one transaction; false, with nothing written, when a constraint refuses one. */
  private refusingConstraints(writes: () => void): boolean {
    try {
      this.db.transaction(writes)();
      return true;
    } catch (error) {
      if (isConstraint(error)) return false;
      throw error;
    }
  }
}
