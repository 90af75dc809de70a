import { connectAsync } from 'mqtt';
import type { Browser, Page, Request } from 'playwright-core';
import type { ActivationResponse } from '@citus/contracts';
import { createKeyAndCsr } from '@citus/pki';
import { cellsOf, collectPageErrors, launchChromium, signIn, textOf } from './support/browser.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, type TestPlatform } from './support/test-platform.js';

const SCREENSHOT = '/tmp/citus-ui.png';
const ACTIVATE_COMMAND = /^npm run device -- activate --api (\S+) --device (\S+) --code (\S+)$/;

const READINGS = [
  { value: 21.5, unit: '°C', label: 'greenhouse air', temperature: 21.5, humidity: 48 },
  { value: 22.25, unit: '°C', label: 'after watering', temperature: 22.25, humidity: 61 },
  { value: 23, unit: '°C', label: 'midday', temperature: 23, humidity: 55.5 },
];

describe('web UI (real Chromium against the embedded platform)', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let requests: Request[];

  beforeAll(async () => {
    platform = await bootTestPlatform();
    browser = await launchChromium();
  });
  // Close the page before the platform stops, so no open telemetry stream holds up its shutdown.
  afterAll(async () => {
    await browser?.close();
    await platform?.destroy();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    pageErrors = collectPageErrors(page);
    requests = [];
    page.on('request', (request) => requests.push(request));
    await page.goto(platform.baseUrl);
  });
  afterEach(() => page.close());

  it('shows the error message of the envelope for a wrong password', async () => {
    await signIn(page, 'admin', 'not-the-password');

    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect(await textOf(error)).toBe('Wrong username or password');
    expect(await page.getByTestId('device-table').isVisible()).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('declares a device, shows its activation command, and shows its readings live', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTestId('device-table').waitFor();
    expect(await textOf(page.getByTestId('user-name'))).toBe('admin');
    const token = await page.evaluate(() => sessionStorage.getItem('citus.token'));
    expect(token).toBeTruthy();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    // Declare through the page: the code is shown once, inside the exact command to run.
    await page.getByTestId('declare-name').fill('Greenhouse sensor');
    await page.getByTestId('declare-type').fill('climate');
    await page.getByTestId('declare-location').fill('Greenhouse 2');
    await page.getByTestId('declare-submit').click();
    await page.getByTestId('activation-panel').waitFor();
    const code = await textOf(page.getByTestId('activation-code'));
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    const [, apiOrigin, deviceId, commandCode] = (await textOf(page.getByTestId('activation-command'))).match(ACTIVATE_COMMAND) ?? [];
    expect(apiOrigin).toBe(platform.baseUrl);
    expect(deviceId).toMatch(/^dev_[0-9a-f]{24}$/);
    expect(commandCode).toBe(code);
    expect(await textOf(page.getByTestId('run-command'))).toBe('npm run device -- run');

    const row = page.locator(`[data-testid="device-row"][data-device-id="${deviceId}"]`);
    await row.waitFor();
    expect(await textOf(row.getByTestId('device-name'))).toBe('Greenhouse sensor');
    expect(await textOf(row.getByTestId('device-status'))).toBe('declared');
    const thingName = await textOf(row.getByTestId('device-thing-name'));

    // The device's side: its own key, the code from the page, a certificate back.
    const { privateKeyPem, csrPem } = await createKeyAndCsr(thingName);
    const activated = await new Api(platform.baseUrl).post<ActivationResponse>(`/api/v1/devices/${deviceId}/activation`, {
      activationCode: code,
      csr: csrPem,
    });
    expect(activated.status).toBe(200);
    expect(activated.body.mqttPort).toBe(platform.mqttPort);

    // The detail view says "Live" once its history is loaded and its stream is open.
    await row.getByTestId('device-name').click();
    await page.getByTestId('live-status').filter({ hasText: /^Live$/ }).waitFor();
    expect(await textOf(page.getByTestId('detail-status'))).toBe('active');
    expect(await textOf(page.getByTestId('detail-thing-name'))).toBe(thingName);
    expect(await page.getByTestId('reading-row').count()).toBe(0);
    await page.evaluate(() => Object.assign(window, { citusNotReloaded: true }));

    const client = await connectAsync(`mqtts://127.0.0.1:${platform.mqttPort}`, {
      clientId: thingName,
      key: privateKeyPem,
      cert: activated.body.certificatePem,
      ca: activated.body.caCertificatePem,
      reconnectPeriod: 0,
    });
    try {
      const start = Date.now() - 60_000;
      for (const [index, reading] of READINGS.entries()) {
        const message = JSON.stringify({ ...reading, '@timestamp': start + index * 1000 });
        await client.publishAsync(`telemetry/${thingName}`, message, { qos: 1 });
        await page.getByTestId('reading-row').filter({ hasText: reading.label }).waitFor();
      }
    } finally {
      await client.endAsync();
    }

    const cells = await cellsOf(page.getByTestId('reading-row'));
    expect(cells.map((row) => row.slice(1))).toEqual(
      [...READINGS].reverse().map((r) => [String(r.value), r.unit, r.label, String(r.temperature), String(r.humidity)]),
    );
    for (const row of cells) expect(row[0]).not.toBe('—');
    expect(await page.evaluate(() => (window as unknown as { citusNotReloaded?: boolean }).citusNotReloaded)).toBe(true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The token travels in the Authorization header only, the stream's included.
    expect(requests.filter((request) => request.url().includes(token ?? '-'))).toEqual([]);
    const stream = requests.find((request) => request.url().includes('/api/v1/telemetry/stream'));
    expect(await stream?.headerValue('authorization')).toBe(`Bearer ${token}`);

    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-form').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.getByTestId('activation-panel').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
