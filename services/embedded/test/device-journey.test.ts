import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activate, loadDevice, runTelemetry, createConnection } from '@citus/device-agent';
import type { DeclaredDevice, Device, TelemetryPage } from '@citus/contracts';
import { SDK_REFUSED } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, type TestPlatform } from './support/test-platform.js';

// Stories 1, 2 and 7 end to end, device side on the official AWS IoT Device SDK v2 over mutual TLS.
describe('a device from declaration to stored telemetry', () => {
  let platform: TestPlatform;
  let api: Api;
  let deviceDir: string;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    deviceDir = mkdtempSync(join(tmpdir(), 'citus-device-'));
  });
  afterAll(async () => {
    await platform.destroy();
    rmSync(deviceDir, { recursive: true, force: true });
  });

  it('declares, activates with a CSR, connects with the SDK and stores every reading', async () => {
    // Story 1: the user declares the device in the portal.
    const declared = await api.post<DeclaredDevice>('/api/v1/devices', {
      name: 'Boiler room gas sensor',
      type: 'gas-sensor',
      location: 'Basement',
      latitude: 37.98,
      longitude: 23.73,
    });
    expect(declared.status).toBe(201);
    expect(declared.body.activationCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(declared.body.status).toBe('declared');

    // Story 2: the device activates; its key is made and kept on the device.
    const state = await activate({
      apiUrl: platform.baseUrl,
      deviceId: declared.body.id,
      activationCode: declared.body.activationCode,
      dir: deviceDir,
    });
    expect(state.thingName).toBe(declared.body.thingName);
    expect(statSync(join(deviceDir, 'private.key')).mode & 0o777).toBe(0o600);
    const files = loadDevice(deviceDir);
    expect(files.certificatePem).toContain('BEGIN CERTIFICATE');

    const device = await api.get<Device>(`/api/v1/devices/${declared.body.id}`);
    expect(device.body.status).toBe('active');
    expect(device.body.certificateId).toBe(state.certificateId);

    // Story 7: readings at QoS 1 through the SDK, each acknowledged only once stored.
    const sent = await runTelemetry(files, { rate: 200, count: 25, endpoint: '127.0.0.1' });
    expect(sent).toBe(25);

    const page = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${state.thingName}&limit=100`);
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(25);
    for (const item of page.body.items) {
      expect(item.topic).toBe(`telemetry/${state.thingName}`);
      expect(item.payload).toMatchObject({ unit: 'PPM', label: 'Leakage' });
      expect(item.epoch).toBe(item.payload['@timestamp']);
    }
  });

  it('pages through a time range in order', async () => {
    const { state } = loadDevice(deviceDir);
    const all = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${state.thingName}&limit=1000`);
    const epochs = all.body.items.map((item) => item.epoch);
    const from = epochs[5] as number;
    const to = epochs[19] as number;
    const seen: number[] = [];
    let path = `/api/v1/telemetry?thingName=${state.thingName}&from=${from}&to=${to}&limit=4`;
    for (let pages = 0; pages < 10; pages++) {
      const page = await api.get<TelemetryPage>(path);
      seen.push(...page.body.items.map((item) => item.epoch));
      if (!page.body.next) break;
      path = `/api/v1/telemetry?thingName=${state.thingName}&from=${from}&to=${to}&limit=4&cursor=${page.body.next}`;
    }
    expect(seen).toEqual(epochs.slice(5, 20));

    const latest = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${state.thingName}&order=desc&limit=1`);
    expect(latest.body.items[0]?.epoch).toBe(epochs.at(-1));
  });

  it('refuses an SDK connection whose client id is not the thing name', async () => {
    const files = loadDevice(deviceDir);
    const connection = createConnection(files, { endpoint: '127.0.0.1', clientId: 'someone-else' });
    await expect(connection.connect()).rejects.toMatch(SDK_REFUSED);
  });
});
