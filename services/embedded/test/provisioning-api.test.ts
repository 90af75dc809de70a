import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ClaimCertificate,
  ErrorEnvelope,
  IssuedClaimCertificate,
  ProvisioningTemplate,
  ProvisioningTemplateList,
  type User,
} from '@citus/contracts';
import { Api, ADMIN_PASSWORD, bootTestPlatform, type TestPlatform } from './support/test-platform.js';

const TEMPLATES = '/api/v1/provisioning-templates';
const TEMPLATE = {
  name: 'batch-7',
  description: 'Leak sensors, batch 7',
  thingNamePrefix: 'leak-',
  parameters: { Site: { default: 'plant-1' } },
  deviceConfiguration: { telemetryTopic: 'telemetry/leak-{{SerialNumber}}', site: '{{Site}}' },
};

/** Every file under a directory, read as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path, 'latin1')];
  });
}

// Issue 3 point 3, the REST side: provisioning templates and claim certificates, per workspace.
describe('fleet provisioning REST API', () => {
  let platform: TestPlatform;
  let admin: Api;
  let dora: Api; // a plain user of "default"
  let other: Api; // the platform admin, acting in another workspace

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const user = await admin.post<User>('/api/v1/users', { username: 'dora', password: 'dora-Passw0rd!' });
    await admin.put('/api/v1/workspaces/default/members', { userId: user.body.id, role: 'user' });
    dora = await Api.login(platform.baseUrl, 'dora', 'dora-Passw0rd!');
    expect((await admin.post('/api/v1/workspaces', { slug: 'elsewhere', name: 'Elsewhere' })).status).toBe(201);
    other = admin.inWorkspace('elsewhere');
  });
  afterAll(() => platform.destroy());

  describe('happy path', () => {
    it('creates, lists, reads and deletes a template', async () => {
      const created = await admin.post(TEMPLATES, TEMPLATE);
      expect(created.status).toBe(201);
      expect(ProvisioningTemplate.parse(created.body)).toMatchObject({ ...TEMPLATE, thingNameParameter: 'SerialNumber', enabled: true });
      const list = await dora.get(TEMPLATES);
      expect(ProvisioningTemplateList.parse(list.body).items.map((template) => template.name)).toEqual(['batch-7']);
      expect((await dora.get(`${TEMPLATES}/batch-7`)).body).toEqual(created.body);

      expect((await admin.post(TEMPLATES, { name: 'short-lived' })).status).toBe(201);
      const deleted = await admin.delete(`${TEMPLATES}/short-lived`);
      expect(deleted.status).toBe(204);
      expect((await admin.get(`${TEMPLATES}/short-lived`)).status).toBe(404);
    });

    it('issues a claim certificate with its key once, keeps neither the key nor a copy, and revokes it', async () => {
      const issued = await admin.post(`${TEMPLATES}/batch-7/claim-certificates`);
      expect(issued.status).toBe(201);
      expect(issued.headers.get('cache-control')).toBe('no-store');
      const claim = IssuedClaimCertificate.parse(issued.body);
      const certificate = new X509Certificate(claim.certificatePem);
      expect(certificate.verify(new X509Certificate(platform.caPem).publicKey)).toBe(true);
      const keyLine = claim.privateKey.split('\n')[1] as string;
      expect(keyLine.length).toBeGreaterThan(40);
      expect(filesUnder(platform.dataDir).some((content) => content.includes(keyLine))).toBe(false);

      const revoke = `${TEMPLATES}/batch-7/claim-certificates/${claim.certificateId}/revoke`;
      const revoked = await admin.post(revoke);
      expect(revoked.status).toBe(200);
      expect(ClaimCertificate.parse(revoked.body)).toMatchObject({ certificateId: claim.certificateId, status: 'REVOKED', templateName: 'batch-7' });
    });
  });

  describe('errors', () => {
    it('refuses a duplicate name with 409 and bad bodies with 400', async () => {
      expect((await admin.post(TEMPLATES, { name: 'batch-7' })).status).toBe(409);
      for (const body of [
        {},
        { name: 'bad name' },
        { name: 'ok', thingNamePrefix: 'a/b' },
        { name: 'ok', deviceConfiguration: { a: '{{Undeclared}}' } },
        { name: 'ok', deviceConfiguration: { a: 1 } },
        { name: 'ok', unknown: true },
      ]) {
        const response = await admin.post<ErrorEnvelope>(TEMPLATES, body);
        expect([JSON.stringify(body), response.status]).toEqual([JSON.stringify(body), 400]);
        ErrorEnvelope.parse(response.body);
      }
    });

    it('answers 404 for unknown templates and certificates, 400 for malformed ids', async () => {
      expect((await admin.get(`${TEMPLATES}/nothing`)).status).toBe(404);
      expect((await admin.delete(`${TEMPLATES}/nothing`)).status).toBe(404);
      expect((await admin.post(`${TEMPLATES}/nothing/claim-certificates`)).status).toBe(404);
      expect((await admin.post(`${TEMPLATES}/batch-7/claim-certificates/${'0'.repeat(64)}/revoke`)).status).toBe(404);
      expect((await admin.post(`${TEMPLATES}/batch-7/claim-certificates/not-an-id/revoke`)).status).toBe(400);
      expect((await admin.get(`${TEMPLATES}/${'x'.repeat(37)}`)).status).toBe(400);
    });
  });

  describe('security', () => {
    it('needs a bearer token', async () => {
      const anonymous = new Api(platform.baseUrl);
      for (const response of [await anonymous.get(TEMPLATES), await anonymous.post(TEMPLATES, TEMPLATE), await anonymous.post(`${TEMPLATES}/batch-7/claim-certificates`)]) {
        expect(response.status).toBe(401);
      }
    });

    it('lets a plain user read but not change anything', async () => {
      expect((await dora.get(`${TEMPLATES}/batch-7`)).status).toBe(200);
      expect((await dora.post(TEMPLATES, { name: 'mine' })).status).toBe(403);
      expect((await dora.post(`${TEMPLATES}/batch-7/claim-certificates`)).status).toBe(403);
      expect((await dora.delete(`${TEMPLATES}/batch-7`)).status).toBe(403);
      expect((await dora.post(`${TEMPLATES}/batch-7/claim-certificates/${'0'.repeat(64)}/revoke`)).status).toBe(403);
      expect((await admin.get(`${TEMPLATES}/batch-7`)).status).toBe(200);
    });

    it("shows another workspace's templates and claim certificates as not found", async () => {
      const claim = IssuedClaimCertificate.parse((await admin.post(`${TEMPLATES}/batch-7/claim-certificates`)).body);
      expect((await other.get(TEMPLATES)).body).toEqual({ items: [] });
      expect((await other.get(`${TEMPLATES}/batch-7`)).status).toBe(404);
      expect((await other.post(`${TEMPLATES}/batch-7/claim-certificates`)).status).toBe(404);
      expect((await other.delete(`${TEMPLATES}/batch-7`)).status).toBe(404);
      // Same template name in the other workspace: still not that workspace's certificate.
      expect((await other.post(TEMPLATES, { name: 'batch-7' })).status).toBe(201);
      expect((await other.post(`${TEMPLATES}/batch-7/claim-certificates/${claim.certificateId}/revoke`)).status).toBe(404);
      expect((await admin.get(`${TEMPLATES}/batch-7`)).body).toMatchObject({ description: TEMPLATE.description });
    });
  });
});
