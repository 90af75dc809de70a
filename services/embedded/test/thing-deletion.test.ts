import { join } from 'node:path';
import { CreateJobResponse, Job, JobExecutionList, type ErrorEnvelope } from '@citus/contracts';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { closedBy, connectMqtt } from './support/devices.js';
import { ask, Replies } from './support/mqtt-replies.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

// Deleting a device from the registry: the hub cleans up after its thing, as AWS IoT does on
// DeleteThing (job executions REMOVED, shadows and connectivity gone), while another thing keeps its own.
describe('deleting a device', () => {
  let platform: TestPlatform;
  let admin: Api;
  let doomed: ActivatedDevice;
  let survivor: ActivatedDevice;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    doomed = await declareAndActivate(admin, 'Doomed pump');
    survivor = await declareAndActivate(admin, 'Surviving pump');
  });
  afterAll(() => platform.destroy());

  /** Reads one of the hub's SQLite files as it is on disk now. */
  const inStore = <T>(file: string, read: (db: SqliteDatabase) => T): T => {
    const db = openDatabase(join(platform.dataDir, file), { module: 'thing-deletion-test', migrations: [] });
    try {
      return read(db);
    } finally {
      db.close();
    }
  };
  const shadowRows = (thingName: string) => inStore('shadows.db', (db) => db.prepare('SELECT count(*) FROM shadows WHERE thing_name = ?').pluck().get(thingName));
  const connectivityRows = (clientId: string) => inStore('presence.db', (db) => db.prepare('SELECT count(*) FROM connectivity WHERE client_id = ?').pluck().get(clientId));
  const executions = async (jobId: string) => {
    const response = await admin.get<JobExecutionList>(`/api/v1/jobs/${jobId}/executions`);
    expect(response.status).toBe(200);
    return Object.fromEntries(JobExecutionList.parse(response.body).items.map((execution) => [execution.thingName, execution.status]));
  };
  /** The hub cleans up on an event after the DELETE answered; its job writes commit a moment later. */
  const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    const deadline = Date.now() + 3_000;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('removes its open job executions, completes a job left with none, and drops its shadows and connectivity', async () => {
    const thing = doomed.device.thingName;
    const other = survivor.device.thingName;
    const solo = await admin.post<CreateJobResponse>('/api/v1/jobs', { targets: [thing], document: { operation: 'reboot' } });
    expect(solo.status).toBe(201);
    const pair = await admin.post<CreateJobResponse>('/api/v1/jobs', { jobId: 'firmware-9', targets: [thing, other], document: { operation: 'update' } });
    expect(pair.status).toBe(201);
    for (const [name, body] of [[thing, { state: { reported: { a: 1 } } }], [other, { state: { reported: { b: 2 } } }]] as const) {
      expect((await admin.post(`/api/v1/things/${name}/shadow`, body)).status).toBe(200);
    }
    expect((await admin.post(`/api/v1/things/${thing}/shadow?name=config`, { state: { desired: { rate: 5 } } })).status).toBe(200);

    // The device is online and working on the firmware job when it is deleted.
    const client = await connectMqtt(platform, doomed);
    client.on('error', () => undefined);
    const replies = new Replies(client);
    const started = await ask(client, replies, `$aws/things/${thing}/jobs/firmware-9/update`, JSON.stringify({ status: 'IN_PROGRESS' }));
    expect(started?.topic).toBe(`$aws/things/${thing}/jobs/firmware-9/update/accepted`);
    expect(await executions('firmware-9')).toEqual({ [thing]: 'IN_PROGRESS', [other]: 'QUEUED' });
    expect(connectivityRows(thing)).toBe(1);
    expect(shadowRows(thing)).toBe(2);

    const closed = closedBy(client);
    expect((await admin.delete(`/api/v1/devices/${doomed.device.id}`)).status).toBe(204);
    await closed;

    expect(await eventually(() => executions(solo.body.jobId), (seen) => seen[thing] === 'REMOVED')).toEqual({ [thing]: 'REMOVED' });
    expect(await executions('firmware-9')).toEqual({ [thing]: 'REMOVED', [other]: 'QUEUED' });
    // A job whose executions have all ended is COMPLETED (the jobs service's rule; CANCELED only by CancelJob).
    const soloJob = await admin.get<Job>(`/api/v1/jobs/${solo.body.jobId}`);
    expect(Job.parse(soloJob.body)).toMatchObject({ status: 'COMPLETED', executionCounts: { REMOVED: 1, QUEUED: 0, IN_PROGRESS: 0 } });
    expect(Job.parse((await admin.get<Job>('/api/v1/jobs/firmware-9')).body)).toMatchObject({ status: 'IN_PROGRESS', executionCounts: { REMOVED: 1, QUEUED: 1 } });

    const shadow = await admin.get<ErrorEnvelope>(`/api/v1/things/${thing}/shadow`);
    expect([shadow.status, shadow.body.error.code]).toEqual([404, 'not_found']);
    // Gone from the store itself, not just hidden behind the missing thing; the survivor's stays.
    expect(shadowRows(thing)).toBe(0);
    expect(connectivityRows(thing)).toBe(0);
    expect(shadowRows(other)).toBe(1);
    expect((await admin.get(`/api/v1/things/${other}/shadow`)).body).toMatchObject({ state: { reported: { b: 2 } }, version: 1 });
    expect((await admin.get(`/api/v1/devices/${doomed.device.id}`)).status).toBe(404);
  });
});
