import type { ErrorEnvelope, RetentionSetting, TelemetryPage } from '@citus/contracts';
import { connectMqtt, reading } from './support/devices.js';
import { Api, bootTestPlatform, declareAndActivate, workspacePeople, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

const RETENTION = '/api/v1/telemetry/retention';
const DAY = 86_400_000;

describe('the telemetry retention API', () => {
  let platform: TestPlatform;
  let admin: Api; // admin of "default"
  let elsewhere: Api; // the same admin, acting in workspace "other"
  let dora: Api; // a plain user of "default"

  beforeAll(async () => {
    platform = await bootTestPlatform({ CITUS_RETENTION_SWEEP_SECONDS: '1' });
    ({ admin, elsewhere, dora } = await workspacePeople(platform));
  });
  afterAll(() => platform.destroy());

  describe('happy path', () => {
    it('keeps telemetry forever by default, and an admin sets and clears a period that members read', async () => {
      expect((await dora.get<RetentionSetting>(RETENTION)).body).toEqual({ days: null, lastSweep: null });
      const set = await admin.put<RetentionSetting>(RETENTION, { days: 30 });
      expect(set.status).toBe(200);
      expect(set.body.days).toBe(30);
      expect((await dora.get<RetentionSetting>(RETENTION)).body.days).toBe(30);
      expect((await admin.put<RetentionSetting>(RETENTION, { days: null })).body.days).toBeNull();
      expect((await dora.get<RetentionSetting>(RETENTION)).body.days).toBeNull();
    });

    it('deletes expired telemetry in the background, in that workspace only', async () => {
      const ours = await declareAndActivate(admin, 'Old sensor');
      const theirs = await declareAndActivate(elsewhere, 'Their old sensor');
      const monthAgo = Date.now() - 30 * DAY;
      await publish(ours, [monthAgo, Date.now()]);
      await publish(theirs, [monthAgo]);
      await elsewhere.put(RETENTION, { days: 365 });

      const setAt = new Date().toISOString();
      expect((await admin.put(RETENTION, { days: 7 })).status).toBe(200);
      // The sweeper runs every second here; what each sweep deleted is checked in the service's own tests.
      const kept = await until(() => epochsOf(admin, ours), (epochs) => epochs.length === 1);
      expect(kept[0]).toBeGreaterThan(monthAgo + DAY);
      const setting = (await admin.get<RetentionSetting>(RETENTION)).body;
      expect(setting.days).toBe(7);
      expect(setting.lastSweep && setting.lastSweep.at >= setAt).toBe(true);
      const theirSetting = await until(() => elsewhere.get<RetentionSetting>(RETENTION), (answer) => answer.body.lastSweep !== null);
      expect(theirSetting.body).toMatchObject({ days: 365, lastSweep: { deleted: { telemetry: 0, deadLetters: 0 } } });
      expect(await epochsOf(elsewhere, theirs)).toEqual([monthAgo]);
    });
  });

  describe('errors', () => {
    it.each([[{ days: 0 }], [{ days: 3651 }], [{ days: 1.5 }], [{ days: '7' }], [{}], [{ days: 7, extra: true }]])(
      'answers 400 for %j',
      async (body) => {
        const refused = await admin.put<ErrorEnvelope>(RETENTION, body);
        expect(refused.status).toBe(400);
        expect(refused.body.error.code).toBe('bad_request');
      },
    );

    it('takes both ends of the range', async () => {
      expect((await admin.put<RetentionSetting>(RETENTION, { days: 1 })).body.days).toBe(1);
      expect((await admin.put<RetentionSetting>(RETENTION, { days: 3650 })).body.days).toBe(3650);
    });
  });

  describe('security', () => {
    it('refuses a plain user with 403, before reading the body, and changes nothing', async () => {
      const before = (await dora.get<RetentionSetting>(RETENTION)).body.days;
      expect((await dora.put(RETENTION, { days: 1 })).status).toBe(403);
      expect((await dora.put(RETENTION, { days: 'nonsense' })).status).toBe(403);
      expect((await dora.get<RetentionSetting>(RETENTION)).body.days).toBe(before);
    });

    it('keeps each workspace to its own setting', async () => {
      await elsewhere.put(RETENTION, { days: 90 });
      await admin.put(RETENTION, { days: 5 });
      expect((await elsewhere.get<RetentionSetting>(RETENTION)).body.days).toBe(90);
      expect((await dora.get<RetentionSetting>(RETENTION)).body.days).toBe(5);
    });

    it('answers 401 without a token', async () => {
      const anonymous = new Api(platform.baseUrl);
      expect((await anonymous.get(RETENTION)).status).toBe(401);
      expect((await anonymous.put(RETENTION, { days: 1 })).status).toBe(401);
    });
  });

  async function publish(device: ActivatedDevice, timestamps: number[]): Promise<void> {
    const client = await connectMqtt(platform, device);
    for (const timestamp of timestamps) {
      await client.publishAsync(`telemetry/${device.device.thingName}`, reading({ '@timestamp': timestamp }), { qos: 1 });
    }
    await client.endAsync();
  }
});

async function epochsOf(api: Api, device: ActivatedDevice): Promise<number[]> {
  const page = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${device.device.thingName}`);
  return page.body.items.map((item) => item.epoch);
}

/** Polls until the answer satisfies `done` and returns that answer. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('the sweep did not happen in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
