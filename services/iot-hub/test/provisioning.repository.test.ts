import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { PROVISIONING_MIGRATIONS, SqliteProvisioningRepository } from '../src/adapters/sqlite/provisioning.repository.js';
import type { ClaimCertificateRecord, PendingCertificateRecord, TemplateRecord } from '../src/domain/provisioning/provisioning.model.js';

const AT = '2025-01-01T12:00:00.000Z';
const LATER = '2025-01-01T13:00:00.000Z';

const aTemplate = (overrides: Partial<TemplateRecord> = {}): TemplateRecord => ({
  workspaceId: 'ws_1',
  name: 'sensors',
  description: 'Batch 7',
  thingNamePrefix: 'sensor-',
  thingNameParameter: 'SerialNumber',
  parameters: { Site: { default: 'lab', description: 'where' } },
  deviceConfiguration: { site: '{{Site}}' },
  enabled: false,
  createdAt: AT,
  updatedAt: AT,
  ...overrides,
});

const aClaim = (overrides: Partial<ClaimCertificateRecord> = {}): ClaimCertificateRecord => ({
  certificateId: 'a'.repeat(64),
  workspaceId: 'ws_1',
  templateName: 'sensors',
  status: 'ACTIVE',
  notAfter: '2026-01-01T00:00:00.000Z',
  createdAt: AT,
  revokedAt: null,
  ...overrides,
});

const aPending = (overrides: Partial<PendingCertificateRecord> = {}): PendingCertificateRecord => ({
  certificateId: 'c'.repeat(64),
  tokenHash: 'd'.repeat(64),
  workspaceId: 'ws_1',
  templateName: 'sensors',
  claimCertificateId: 'a'.repeat(64),
  certificatePem: 'PEM',
  notAfter: '2026-01-01T00:00:00.000Z',
  createdAt: AT,
  expiresAt: LATER,
  usedAt: null,
  ...overrides,
});

describe('SqliteProvisioningRepository (real file)', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase;
  let repository: SqliteProvisioningRepository;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-provisioning-repo-'));
    file = join(dir, 'provisioning.db');
    db = openDatabase(file, { module: 'provisioning', migrations: PROVISIONING_MIGRATIONS });
    repository = new SqliteProvisioningRepository(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps templates whole and per workspace, across a reopen', () => {
    expect(repository.insertTemplate(aTemplate())).toBe(true);
    expect(repository.insertTemplate(aTemplate({ description: 'again' }))).toBe(false);
    expect(repository.insertTemplate(aTemplate({ workspaceId: 'ws_2' }))).toBe(true);
    db.close();
    db = openDatabase(file, { module: 'provisioning', migrations: PROVISIONING_MIGRATIONS });
    repository = new SqliteProvisioningRepository(db);
    expect(repository.getTemplate('ws_1', 'sensors')).toEqual(aTemplate());
    expect(repository.listTemplates('ws_1')).toEqual([aTemplate()]);
    expect(repository.getTemplate('ws_3', 'sensors')).toBeUndefined();
  });

  it("deletes a template: revokes its claim certificates, drops its unused pending ones, leaves others' alone", () => {
    repository.insertTemplate(aTemplate());
    repository.insertTemplate(aTemplate({ workspaceId: 'ws_2' }));
    repository.insertClaimCertificate(aClaim());
    repository.insertClaimCertificate(aClaim({ certificateId: 'b'.repeat(64), workspaceId: 'ws_2' }));
    repository.insertPending(aPending());
    repository.insertPending(aPending({ certificateId: 'e'.repeat(64), tokenHash: 'f'.repeat(64), usedAt: AT }));
    expect(repository.deleteTemplate('ws_1', 'sensors', LATER)).toEqual(['a'.repeat(64)]);
    expect(repository.deleteTemplate('ws_1', 'sensors', LATER)).toBeUndefined();
    expect(repository.findClaimCertificate('a'.repeat(64))).toMatchObject({ status: 'REVOKED', revokedAt: LATER });
    expect(repository.findClaimCertificate('b'.repeat(64))).toMatchObject({ status: 'ACTIVE' });
    expect(repository.findPendingByTokenHash('d'.repeat(64))).toBeUndefined();
    expect(repository.findPendingByTokenHash('f'.repeat(64))).toBeDefined();
    expect(repository.getTemplate('ws_2', 'sensors')).toBeDefined();
  });

  it('revokes a claim certificate only through its own workspace and template, keeping the first revocation time', () => {
    repository.insertClaimCertificate(aClaim());
    expect(repository.revokeClaimCertificate('ws_2', 'sensors', 'a'.repeat(64), AT)).toBeUndefined();
    expect(repository.revokeClaimCertificate('ws_1', 'other', 'a'.repeat(64), AT)).toBeUndefined();
    expect(repository.revokeClaimCertificate('ws_1', 'sensors', 'a'.repeat(64), AT)).toEqual(aClaim({ status: 'REVOKED', revokedAt: AT }));
    expect(repository.revokeClaimCertificate('ws_1', 'sensors', 'a'.repeat(64), LATER)).toMatchObject({ revokedAt: AT });
  });

  it('consumes a token once, can give it back, and counts only open ones', () => {
    repository.insertPending(aPending());
    repository.insertPending(aPending({ certificateId: 'e'.repeat(64), tokenHash: 'f'.repeat(64), expiresAt: AT }));
    expect(repository.countOpenPending('a'.repeat(64), AT)).toBe(1);
    expect(repository.consumePending('d'.repeat(64), AT)).toBe(true);
    expect(repository.consumePending('d'.repeat(64), AT)).toBe(false);
    expect(repository.countOpenPending('a'.repeat(64), AT)).toBe(0);
    repository.releasePending('d'.repeat(64));
    expect(repository.findPendingByTokenHash('d'.repeat(64))).toMatchObject({ usedAt: null });
    expect(repository.prunePending(LATER)).toBe(1);
    expect(repository.findPendingByTokenHash('f'.repeat(64))).toBeUndefined();
  });

  it('refuses two pending certificates with one token hash', () => {
    repository.insertPending(aPending());
    expect(() => repository.insertPending(aPending({ certificateId: 'e'.repeat(64) }))).toThrow(/UNIQUE/);
  });
});
