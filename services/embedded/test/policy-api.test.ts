import type { ErrorEnvelope, Policy, PolicyDocument, PolicyList } from '@citus/contracts';
import { Api, bootTestPlatform, declareAndActivate, workspacePeople, type TestPlatform } from './support/test-platform.js';

const commands = (topic = 'commands'): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['iot:Subscribe', 'iot:Receive'],
      Resource: [`arn:aws:iot:*:*:topicfilter/${topic}/\${iot:Connection.Thing.ThingName}`, `arn:aws:iot:*:*:topic/${topic}/\${iot:Connection.Thing.ThingName}`],
    },
  ],
});

const UNKNOWN_CERTIFICATE = 'c'.repeat(64);

describe('the policy API', () => {
  let platform: TestPlatform;
  let admin: Api; // admin of "default"
  let elsewhere: Api; // the same admin, acting in workspace "other"
  let dora: Api; // a plain user of "default"
  let certificateId: string;
  let otherCertificateId: string;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    ({ admin, elsewhere, dora } = await workspacePeople(platform));
    certificateId = (await declareAndActivate(admin, 'Kitchen sensor')).activation.certificateId;
    otherCertificateId = (await declareAndActivate(elsewhere, 'Their sensor')).activation.certificateId;
  });
  afterAll(() => platform.destroy());

  describe('happy path', () => {
    it('creates, reads, replaces, attaches, detaches and deletes a policy', async () => {
      const created = await admin.post<Policy>('/api/v1/policies', { policyName: 'kitchen.commands', policyDocument: commands() });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ policyName: 'kitchen.commands', version: 1, policyDocument: commands() });

      const listed = await dora.get<PolicyList>('/api/v1/policies');
      expect(listed.body.items.map((policy) => policy.policyName)).toEqual(['kitchen.commands']);
      expect((await dora.get<Policy>('/api/v1/policies/kitchen.commands')).body.policyDocument).toEqual(commands());

      const replaced = await admin.put<Policy>('/api/v1/policies/kitchen.commands', { policyDocument: commands('orders') });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ version: 2, policyDocument: commands('orders'), createdAt: created.body.createdAt });

      const target = `/api/v1/policies/kitchen.commands/targets/${certificateId}`;
      expect((await admin.put(target)).status).toBe(204);
      expect((await admin.put(target)).status).toBe(204);
      const attached = await dora.get<PolicyList>(`/api/v1/certificates/${certificateId}/policies`);
      expect(attached.body.items).toEqual([expect.objectContaining({ policyName: 'kitchen.commands', version: 2 })]);

      const refused = await admin.delete<ErrorEnvelope>('/api/v1/policies/kitchen.commands');
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/detach it first/);

      expect((await admin.delete(target)).status).toBe(204);
      expect((await dora.get<PolicyList>(`/api/v1/certificates/${certificateId}/policies`)).body.items).toEqual([]);
      expect((await admin.delete('/api/v1/policies/kitchen.commands')).status).toBe(204);
      expect((await dora.get('/api/v1/policies/kitchen.commands')).status).toBe(404);
    });
  });

  describe('errors', () => {
    it('answers 409 for a name that exists and 400 with the issues for an invalid document', async () => {
      await admin.post('/api/v1/policies', { policyName: 'twice', policyDocument: commands() });
      expect((await admin.post('/api/v1/policies', { policyName: 'twice', policyDocument: commands() })).status).toBe(409);

      const invalid = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: ['iot:Publish', 'iot:UpdateThingShadow'], Resource: 'topic/x' } };
      const refused = await admin.post<ErrorEnvelope>('/api/v1/policies', { policyName: 'bad', policyDocument: invalid });
      expect(refused.status).toBe(400);
      const details = refused.body.error.details as Array<{ path: unknown[]; message: string }>;
      expect(details).toEqual([
        { path: ['policyDocument', 'Statement', 'Action', 1], message: expect.stringMatching(/unknown action "iot:UpdateThingShadow"/) },
        { path: ['policyDocument', 'Statement', 'Resource'], message: expect.stringMatching(/or an ARN/) },
      ]);
      expect((await admin.get('/api/v1/policies/bad')).status).toBe(404);
    });

    it('refuses bad names, oversize documents and unknown policies or certificates', async () => {
      expect((await admin.post('/api/v1/policies', { policyName: 'has space', policyDocument: commands() })).status).toBe(400);
      expect((await admin.post('/api/v1/policies', { policyName: 'x'.repeat(129), policyDocument: commands() })).status).toBe(400);
      const huge = commands('t'.repeat(1100));
      const oversize = await admin.post<ErrorEnvelope>('/api/v1/policies', { policyName: 'huge', policyDocument: huge });
      expect(oversize.status).toBe(400);
      expect(JSON.stringify(oversize.body.error.details)).toMatch(/at most 2048 characters/);
      expect((await admin.put('/api/v1/policies/nothing', { policyDocument: commands() })).status).toBe(404);
      expect((await admin.put(`/api/v1/policies/nothing/targets/${certificateId}`)).status).toBe(404);
      await admin.post('/api/v1/policies', { policyName: 'target', policyDocument: commands() });
      expect((await admin.put(`/api/v1/policies/target/targets/${UNKNOWN_CERTIFICATE}`)).status).toBe(404);
      expect((await admin.put('/api/v1/policies/target/targets/not-a-certificate')).status).toBe(400);
      expect((await admin.get(`/api/v1/certificates/${UNKNOWN_CERTIFICATE}/policies`)).status).toBe(404);
    });
  });

  describe('security', () => {
    it("answers 404 for another workspace's policy and certificate", async () => {
      await elsewhere.post('/api/v1/policies', { policyName: 'theirs', policyDocument: commands() });
      expect((await admin.get('/api/v1/policies/theirs')).status).toBe(404);
      expect((await admin.put('/api/v1/policies/theirs', { policyDocument: commands() })).status).toBe(404);
      expect((await admin.delete('/api/v1/policies/theirs')).status).toBe(404);
      expect((await admin.get<PolicyList>('/api/v1/policies')).body.items.map((policy) => policy.policyName)).not.toContain('theirs');
      expect((await elsewhere.get<Policy>('/api/v1/policies/theirs')).status).toBe(200);

      await admin.post('/api/v1/policies', { policyName: 'mine', policyDocument: commands() });
      expect((await admin.put(`/api/v1/policies/mine/targets/${otherCertificateId}`)).status).toBe(404);
      expect((await elsewhere.put(`/api/v1/policies/theirs/targets/${certificateId}`)).status).toBe(404);
      expect((await admin.get(`/api/v1/certificates/${otherCertificateId}/policies`)).status).toBe(404);
    });

    it('lets a plain user read but not write', async () => {
      await admin.post('/api/v1/policies', { policyName: 'readable', policyDocument: commands() });
      expect((await dora.get('/api/v1/policies/readable')).status).toBe(200);
      expect((await dora.post('/api/v1/policies', { policyName: 'dora', policyDocument: commands() })).status).toBe(403);
      expect((await dora.put('/api/v1/policies/readable', { policyDocument: commands('x') })).status).toBe(403);
      expect((await dora.delete('/api/v1/policies/readable')).status).toBe(403);
      expect((await dora.put(`/api/v1/policies/readable/targets/${certificateId}`)).status).toBe(403);
      expect((await dora.delete(`/api/v1/policies/readable/targets/${certificateId}`)).status).toBe(403);
      expect((await admin.get<Policy>('/api/v1/policies/readable')).body.version).toBe(1);
    });

    it('needs a bearer token', async () => {
      const anonymous = new Api(platform.baseUrl);
      expect((await anonymous.get('/api/v1/policies')).status).toBe(401);
      expect((await anonymous.post('/api/v1/policies', { policyName: 'x', policyDocument: commands() })).status).toBe(401);
      expect((await anonymous.get(`/api/v1/certificates/${certificateId}/policies`)).status).toBe(401);
    });
  });
});
