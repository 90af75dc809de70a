import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DeclaredDevice, TelemetryPage } from '@citus/contracts';
import { Api, ADMIN_PASSWORD, bootTestPlatform, type TestPlatform } from './support/test-platform.js';

const run = promisify(execFile);
const CLI = new URL('../../../packages/device-agent/dist/cli/citus-device.js', import.meta.url).pathname;

// The `citus-device` command as a user runs it (needs `npm run build`), against the endpoint the
// platform hands out at activation: `localhost`, as in the README.
describe('citus-device', () => {
  let platform: TestPlatform;
  let api: Api;
  let dir: string;
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args, '--dir', dir], { timeout: 30_000 });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    dir = mkdtempSync(join(tmpdir(), 'citus-cli-'));
  });
  afterAll(async () => {
    await platform.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('activates, publishes acknowledged readings and reports its status', async () => {
    const device = (await api.post<DeclaredDevice>('/api/v1/devices', { name: 'CLI sensor' })).body;
    const activated = await cli('activate', '--api', platform.baseUrl, '--device', device.id, '--code', device.activationCode);
    expect(activated.stdout).toContain(`activated ${device.thingName}`);
    expect(statSync(join(dir, 'private.key')).mode & 0o777).toBe(0o600);

    const ran = await cli('run', '--rate', '50', '--count', '3');
    expect(ran.stdout).toContain('stopped after 3 readings');
    const page = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${device.thingName}`);
    expect(page.body.items).toHaveLength(3);

    const status = JSON.parse((await cli('status')).stdout) as { thingName: string; mqttEndpoint: string; certificateSubject: string };
    expect(status).toMatchObject({ thingName: device.thingName, mqttEndpoint: 'localhost', certificateSubject: `CN=${device.thingName}` });
  });

  it('explains a refused activation and a missing activation', async () => {
    const device = (await api.post<DeclaredDevice>('/api/v1/devices', { name: 'CLI refused' })).body;
    const other = mkdtempSync(join(tmpdir(), 'citus-cli-other-'));
    try {
      const refused = run(process.execPath, [CLI, 'activate', '--api', platform.baseUrl, '--device', device.id, '--code', 'AAAA-AAAA-AAAA-AAAA', '--dir', other]);
      await expect(refused).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('invalid or already used activation code') });
      const missing = run(process.execPath, [CLI, 'run', '--dir', other]);
      await expect(missing).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no activated device') });
      const usage = run(process.execPath, [CLI, 'activate', '--dir', other]);
      await expect(usage).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--api is required') });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
