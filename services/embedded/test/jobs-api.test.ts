import { CreateJobResponse, ErrorEnvelope, Job, JobExecutionList, JobList, type User } from '@citus/contracts';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';

// The jobs control plane over HTTP: happy path, errors, and who may do what where.
describe('the jobs API', () => {
  let platform: TestPlatform;
  let admin: Api; // admin of "default"
  let elsewhere: Api; // the same admin, acting in workspace "other"
  let dev: Api; // a developer of "default"
  let dora: Api; // a plain user of "default"
  let things: string[];
  let otherThing: string;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'other', name: 'Other' })).status).toBe(201);
    elsewhere = admin.inWorkspace('other');
    for (const [username, role] of [['dev', 'developer'], ['dora', 'user']] as const) {
      const user = await admin.post<User>('/api/v1/users', { username, password: `${username}-Passw0rd!` });
      await admin.put('/api/v1/workspaces/default/members', { userId: user.body.id, role });
    }
    dev = await Api.login(platform.baseUrl, 'dev', 'dev-Passw0rd!');
    dora = await Api.login(platform.baseUrl, 'dora', 'dora-Passw0rd!');
    things = await Promise.all(['Pump 1', 'Pump 2'].map(async (name) => (await declareAndActivate(admin, name)).device.thingName));
    otherThing = (await declareAndActivate(elsewhere, 'Their pump')).device.thingName;
  });
  afterAll(() => platform.destroy());

  it('creates a job, reads it and its executions, lists it, and cancels it', async () => {
    const created = await dev.post<CreateJobResponse>('/api/v1/jobs', {
      jobId: 'firmware-7',
      targets: things,
      document: { operation: 'update', url: 'https://example.com/fw-7.bin' },
      description: 'Firmware 7',
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
    });
    expect(created.status).toBe(201);
    expect(CreateJobResponse.parse(created.body)).toEqual({ jobId: 'firmware-7' });

    const job = await dora.get<Job>('/api/v1/jobs/firmware-7');
    expect(job.status).toBe(200);
    expect(Job.parse(job.body)).toMatchObject({
      status: 'IN_PROGRESS',
      targets: things,
      description: 'Firmware 7',
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
      executionCounts: { QUEUED: 2, IN_PROGRESS: 0 },
    });
    const executions = await dora.get<JobExecutionList>('/api/v1/jobs/firmware-7/executions');
    expect(JobExecutionList.parse(executions.body).items.map((execution) => [execution.thingName, execution.status, execution.versionNumber])).toEqual(
      things.map((thing) => [thing, 'QUEUED', 1]),
    );
    const listed = await dora.get<JobList>('/api/v1/jobs');
    expect(JobList.parse(listed.body).items.map((item) => item.jobId)).toContain('firmware-7');

    const canceled = await dev.post<Job>('/api/v1/jobs/firmware-7/cancel', { comment: 'bad build' });
    expect(canceled.status).toBe(200);
    expect(Job.parse(canceled.body)).toMatchObject({ status: 'CANCELED', comment: 'bad build', executionCounts: { CANCELED: 2 } });
    const again = await dev.post<ErrorEnvelope>('/api/v1/jobs/firmware-7/cancel', {});
    expect([again.status, again.body.error.code]).toEqual([409, 'conflict']);
  });

  it('generates a job id when none is given and refuses a taken one', async () => {
    const created = await admin.post<CreateJobResponse>('/api/v1/jobs', { targets: [things[0]], document: {} });
    expect(created.status).toBe(201);
    const taken = await admin.post<ErrorEnvelope>('/api/v1/jobs', { jobId: created.body.jobId, targets: [things[0]], document: {} });
    expect(taken.status).toBe(409);
  });

  it('answers 400 for a bad body, naming the targets that are no things of the workspace', async () => {
    const foreign = await dev.post<ErrorEnvelope>('/api/v1/jobs', { targets: [things[0], otherThing, 'no-such-thing'], document: {} });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details).toEqual({ targets: [otherThing, 'no-such-thing'] });
    for (const body of [
      {},
      { targets: [], document: {} },
      { targets: [things[0], things[0]], document: {} },
      { targets: [things[0]], document: 'reboot' },
      { targets: [things[0]], document: {}, jobId: 'has space' },
      { targets: [things[0]], document: {}, timeoutConfig: { inProgressTimeoutInMinutes: 0 } },
      { targets: [things[0]], document: { blob: 'x'.repeat(33 * 1024) } },
      { targets: [things[0]], document: {}, rolloutConfig: {} },
    ]) {
      const response = await dev.post<ErrorEnvelope>('/api/v1/jobs', body);
      expect([JSON.stringify(body).slice(0, 60), response.status]).toEqual([JSON.stringify(body).slice(0, 60), 400]);
    }
    expect((await dev.post('/api/v1/jobs/no-such-job/cancel', { force: 'yes' })).status).toBe(400);
  });

  it('lets a plain user read but not create or cancel', async () => {
    await dev.post('/api/v1/jobs', { jobId: 'read-only', targets: [things[1]], document: {} });
    expect((await dora.post('/api/v1/jobs', { targets: [things[1]], document: {} })).status).toBe(403);
    expect((await dora.post('/api/v1/jobs/read-only/cancel', {})).status).toBe(403);
    expect((await dora.get('/api/v1/jobs/read-only')).status).toBe(200);
    expect((await new Api(platform.baseUrl).get('/api/v1/jobs')).status).toBe(401);
  });

  it("answers 404 for another workspace's job, and keeps each workspace's list its own", async () => {
    const theirs = await elsewhere.post<CreateJobResponse>('/api/v1/jobs', { jobId: 'theirs', targets: [otherThing], document: {} });
    expect(theirs.status).toBe(201);
    for (const path of ['/api/v1/jobs/theirs', '/api/v1/jobs/theirs/executions']) expect((await admin.get(path)).status).toBe(404);
    expect((await admin.post('/api/v1/jobs/theirs/cancel', {})).status).toBe(404);
    expect((await admin.get<JobList>('/api/v1/jobs')).body.items.map((job) => job.jobId)).not.toContain('theirs');
    expect((await elsewhere.get<JobList>('/api/v1/jobs')).body.items.map((job) => job.jobId)).toEqual(['theirs']);
    // The same id is free in another workspace.
    expect((await admin.post('/api/v1/jobs', { jobId: 'theirs', targets: [things[0]], document: {} })).status).toBe(201);
  });
});
