import { CreateProvisioningTemplateRequest } from '@citus/contracts';
import type { PendingCertificateRecord, TemplateRecord } from '../src/domain/provisioning/provisioning.model.js';
import {
  applyTemplate,
  checkOwnershipToken,
  hashOwnershipToken,
  newOwnershipToken,
  OWNERSHIP_TOKEN_TTL_MS,
} from '../src/domain/provisioning/provisioning.rules.js';

const T0 = Date.UTC(2025, 0, 1, 12);

function aTemplate(overrides: Partial<TemplateRecord> = {}): TemplateRecord {
  return {
    workspaceId: 'ws_1',
    name: 'sensors',
    description: null,
    thingNamePrefix: 'sensor-',
    thingNameParameter: 'SerialNumber',
    parameters: { Site: { default: 'lab' }, Model: {} },
    deviceConfiguration: { topic: 'telemetry/sensor-{{SerialNumber}}', site: '{{Site}}', fixed: 'on' },
    enabled: true,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    ...overrides,
  };
}

function aPending(overrides: Partial<PendingCertificateRecord> = {}): PendingCertificateRecord {
  return {
    certificateId: 'c'.repeat(64),
    tokenHash: hashOwnershipToken('token'),
    workspaceId: 'ws_1',
    templateName: 'sensors',
    claimCertificateId: 'a'.repeat(64),
    certificatePem: 'PEM',
    notAfter: new Date(T0 + 365 * 86_400_000).toISOString(),
    createdAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + OWNERSHIP_TOKEN_TTL_MS).toISOString(),
    usedAt: null,
    ...overrides,
  };
}

describe('applyTemplate', () => {
  it('names the thing prefix + thing-name parameter and fills the configuration', () => {
    expect(applyTemplate(aTemplate(), { SerialNumber: 'A100', Model: 'm2', Extra: 'ignored' })).toEqual({
      thingName: 'sensor-A100',
      deviceConfiguration: { topic: 'telemetry/sensor-A100', site: 'lab', fixed: 'on' },
    });
  });

  it('takes a sent value over the default', () => {
    const registration = applyTemplate(aTemplate(), { SerialNumber: 'A1', Model: 'm', Site: 'plant-2' });
    expect(registration).toMatchObject({ deviceConfiguration: { site: 'plant-2' } });
  });

  it('refuses missing required parameters, naming them', () => {
    expect(applyTemplate(aTemplate(), {})).toEqual({ invalid: 'missing template parameter(s): Model, SerialNumber' });
    expect(applyTemplate(aTemplate(), undefined)).toHaveProperty('invalid');
  });

  it('refuses a value that makes no valid thing name', () => {
    for (const serial of ['has space', 'slash/no', '#', '', 'x'.repeat(130)]) {
      expect(applyTemplate(aTemplate(), { SerialNumber: serial, Model: 'm' })).toEqual({
        invalid: expect.stringContaining('does not make a valid thing name'),
      });
    }
  });

  it('works with another thing-name parameter and no prefix', () => {
    const template = aTemplate({ thingNamePrefix: '', thingNameParameter: 'Mac', parameters: {}, deviceConfiguration: {} });
    expect(applyTemplate(template, { Mac: '00:11:22' })).toEqual({ thingName: '00:11:22', deviceConfiguration: {} });
  });

  it('does not read parameters off the prototype', () => {
    const template = aTemplate({ thingNameParameter: 'toString', parameters: {}, deviceConfiguration: {} });
    expect(applyTemplate(template, {})).toHaveProperty('invalid');
  });
});

describe('checkOwnershipToken', () => {
  const claim = { workspaceId: 'ws_1', templateName: 'sensors' };

  it('accepts an unused token younger than an hour', () => {
    expect(checkOwnershipToken(aPending(), claim, new Date(T0 + OWNERSHIP_TOKEN_TTL_MS - 1))).toBeUndefined();
  });

  it('refuses it once the hour is over', () => {
    expect(checkOwnershipToken(aPending(), claim, new Date(T0 + OWNERSHIP_TOKEN_TTL_MS))).toBe('expired');
  });

  it('refuses a used token', () => {
    expect(checkOwnershipToken(aPending({ usedAt: new Date(T0).toISOString() }), claim, new Date(T0))).toBe('used');
  });

  it("calls another workspace's or template's token unknown", () => {
    expect(checkOwnershipToken(undefined, claim, new Date(T0))).toBe('unknown');
    expect(checkOwnershipToken(aPending({ workspaceId: 'ws_2' }), claim, new Date(T0))).toBe('unknown');
    expect(checkOwnershipToken(aPending({ templateName: 'other' }), claim, new Date(T0))).toBe('unknown');
  });
});

describe('ownership tokens', () => {
  it('are random, 256 bits, and stored as their SHA-256', () => {
    const first = newOwnershipToken();
    const second = newOwnershipToken();
    expect(first.token).not.toBe(second.token);
    expect(Buffer.from(first.token, 'base64url')).toHaveLength(32);
    expect(first.tokenHash).toBe(hashOwnershipToken(first.token));
    expect(first.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('CreateProvisioningTemplateRequest', () => {
  it('fills the defaults', () => {
    expect(CreateProvisioningTemplateRequest.parse({ name: 'batch_7' })).toEqual({
      name: 'batch_7',
      thingNamePrefix: '',
      thingNameParameter: 'SerialNumber',
      parameters: {},
      deviceConfiguration: {},
      enabled: true,
    });
  });

  it('refuses references to undeclared parameters, and a default for the thing-name parameter', () => {
    const result = CreateProvisioningTemplateRequest.safeParse({
      name: 'bad',
      parameters: { SerialNumber: { default: 'same-for-all' } },
      deviceConfiguration: { a: '{{SerialNumber}}', b: '{{Nope}}' },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['deviceConfiguration.b', 'parameters.SerialNumber']);
  });

  it('refuses bad names, prefixes and unknown fields', () => {
    for (const body of [{ name: 'has space' }, { name: 'x'.repeat(37) }, { name: 'ok', thingNamePrefix: 'a/b' }, { name: 'ok', templateBody: '{}' }]) {
      expect(CreateProvisioningTemplateRequest.safeParse(body).success).toBe(false);
    }
  });
});
