import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyDocument } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { POLICY_MIGRATIONS, SqlitePolicyRepository } from '../src/adapters/sqlite/policy.repository.js';
import { PolicyService } from '../src/app/policy.service.js';
import type { CertificateDirectory } from '../src/domain/device-session.model.js';
import type { StoredPolicy } from '../src/domain/policy/policy.model.js';

const HOME = 'ws_home';
const OTHER = 'ws_other';
const CERT = 'a'.repeat(64);
const OTHER_CERT = 'b'.repeat(64);
const AT = '2025-01-01T12:00:00.000Z';

const aDocument = (topic = 'commands/*'): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iot:Subscribe', 'iot:Receive'], Resource: [`arn:aws:iot:*:*:topicfilter/${topic}`, `arn:aws:iot:*:*:topic/${topic}`] }],
});

const aPolicy = (overrides: Partial<StoredPolicy> = {}): StoredPolicy => ({
  workspaceId: HOME,
  policyName: 'commands',
  document: aDocument(),
  version: 1,
  createdAt: AT,
  updatedAt: AT,
  ...overrides,
});

/** A real `policies.db` in a temp dir, reopenable to show what survives a restart. */
function policyStore() {
  const dir = mkdtempSync(join(tmpdir(), 'citus-policies-'));
  const file = join(dir, 'policies.db');
  let db: SqliteDatabase = openDatabase(file, { module: 'policies', migrations: POLICY_MIGRATIONS });
  return {
    get repository() {
      return new SqlitePolicyRepository(db);
    },
    reopen() {
      db.close();
      db = openDatabase(file, { module: 'policies', migrations: POLICY_MIGRATIONS });
      return new SqlitePolicyRepository(db);
    },
    destroy() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('SqlitePolicyRepository', () => {
  let store: ReturnType<typeof policyStore>;
  let repository: SqlitePolicyRepository;
  beforeEach(() => {
    store = policyStore();
    repository = store.repository;
  });
  afterEach(() => store.destroy());

  it('creates a policy once per workspace and name, and keeps it across a restart', () => {
    expect(repository.create(aPolicy())).toBe(true);
    expect(repository.create(aPolicy({ document: aDocument('other/*') }))).toBe(false);
    expect(repository.create(aPolicy({ workspaceId: OTHER }))).toBe(true);
    expect(store.reopen().get(HOME, 'commands')).toEqual(aPolicy());
  });

  it('scopes reads to the workspace', () => {
    repository.create(aPolicy({ policyName: 'b' }));
    repository.create(aPolicy({ policyName: 'a' }));
    repository.create(aPolicy({ workspaceId: OTHER, policyName: 'theirs' }));
    expect(repository.list(HOME).map((policy) => policy.policyName)).toEqual(['a', 'b']);
    expect(repository.get(HOME, 'theirs')).toBeUndefined();
  });

  it('replaces a document and bumps the version', () => {
    repository.create(aPolicy());
    const replaced = repository.replaceDocument(HOME, 'commands', aDocument('new/*'), '2025-01-02T00:00:00.000Z');
    expect(replaced).toEqual(aPolicy({ document: aDocument('new/*'), version: 2, updatedAt: '2025-01-02T00:00:00.000Z' }));
    expect(repository.replaceDocument(HOME, 'commands', aDocument(), AT)?.version).toBe(3);
    expect(repository.replaceDocument(OTHER, 'commands', aDocument(), AT)).toBeUndefined();
  });

  it('attaches idempotently, lists both ways, and refuses to delete an attached policy', () => {
    repository.create(aPolicy());
    repository.attach(HOME, 'commands', CERT, AT);
    repository.attach(HOME, 'commands', CERT, AT);
    expect(repository.targetsOf(HOME, 'commands')).toEqual([CERT]);
    expect(repository.attachedTo(HOME, CERT).map((policy) => policy.policyName)).toEqual(['commands']);
    expect(repository.attachedTo(OTHER, CERT)).toEqual([]);
    expect(repository.delete(HOME, 'commands')).toBe('attached');
    expect(repository.detach(HOME, 'commands', CERT)).toBe(true);
    expect(repository.detach(HOME, 'commands', CERT)).toBe(false);
    expect(repository.delete(HOME, 'commands')).toBe('deleted');
    expect(repository.delete(HOME, 'commands')).toBe('not-found');
  });

  it('refuses an attachment to a policy that does not exist', () => {
    expect(() => repository.attach(HOME, 'nothing', CERT, AT)).toThrow(/FOREIGN KEY/);
  });
});

describe('PolicyService decisions', () => {
  let store: ReturnType<typeof policyStore>;
  let service: PolicyService;
  const certificates: CertificateDirectory = {
    activeCertificate: (id) => ({ [CERT]: { thingName: 'kitchen-1', workspaceId: HOME }, [OTHER_CERT]: { thingName: 'x', workspaceId: OTHER } })[id],
  };
  const kitchen = { clientId: 'kitchen-1', thingName: 'kitchen-1', workspaceId: HOME, certificateId: CERT };

  beforeEach(() => {
    store = policyStore();
    service = new PolicyService(store.repository, certificates, createLogger({ level: 'silent' }));
  });
  afterEach(() => store.destroy());

  it('applies the default device policy plus the attached policies, and sees every change at once', () => {
    const changes: string[] = [];
    service.onChange(({ certificateId }) => changes.push(certificateId));
    expect(service.allows(kitchen, 'iot:Subscribe', 'commands/kitchen-1')).toBe(false);
    expect(service.allows(kitchen, 'iot:Publish', 'telemetry/kitchen-1')).toBe(true);

    service.create(HOME, 'commands', aDocument());
    service.attach(HOME, 'commands', CERT);
    expect(service.allows(kitchen, 'iot:Subscribe', 'commands/kitchen-1')).toBe(true);

    const denyTelemetry: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iot:*', Resource: 'arn:aws:iot:*:*:topic/telemetry/*' }] };
    service.update(HOME, 'commands', denyTelemetry);
    expect(service.allows(kitchen, 'iot:Publish', 'telemetry/kitchen-1')).toBe(false);
    expect(service.allows(kitchen, 'iot:Subscribe', 'commands/kitchen-1')).toBe(false);

    service.detach(HOME, 'commands', CERT);
    expect(service.allows(kitchen, 'iot:Publish', 'telemetry/kitchen-1')).toBe(true);
    expect(changes).toEqual([CERT, CERT, CERT]);
  });

  it("uses the claim policy for a claim certificate's connection", () => {
    const claim = { clientId: 'batch-1', workspaceId: HOME, certificateId: OTHER_CERT, claim: { templateName: 'factory' } };
    expect(service.allows(claim, 'iot:Connect', 'batch-1')).toBe(true);
    expect(service.allows(claim, 'iot:Publish', '$aws/provisioning-templates/factory/provision/json')).toBe(true);
    expect(service.allows(claim, 'iot:Publish', 'telemetry/batch-1')).toBe(false);
  });

  it("refuses another workspace's certificate and names its conflicts", () => {
    service.create(HOME, 'commands', aDocument());
    expect(() => service.attach(HOME, 'commands', OTHER_CERT)).toThrow(/certificate not found/);
    expect(() => service.attach(HOME, 'nothing', CERT)).toThrow(/policy not found/);
    expect(() => service.create(HOME, 'commands', aDocument())).toThrow(/exists/);
    service.attach(HOME, 'commands', CERT);
    expect(() => service.delete(HOME, 'commands')).toThrow(/attached/);
  });

  it('keeps deciding when a change listener throws', () => {
    service.onChange(() => {
      throw new Error('listener bug');
    });
    service.create(HOME, 'commands', aDocument());
    expect(() => service.attach(HOME, 'commands', CERT)).not.toThrow();
    expect(service.allows(kitchen, 'iot:Receive', 'commands/x')).toBe(true);
  });
});
