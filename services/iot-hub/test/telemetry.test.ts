import { DEFAULT_DEVICE_POLICY } from '../src/domain/policy/default-policies.js';
import { compilePolicies } from '../src/domain/policy/policy.evaluator.js';
import { deviceTimestamp } from '../src/domain/telemetry.model.js';

const NOW = Date.UTC(2025, 5, 1, 12);
const HOUR_MS = 3_600_000;

describe('deviceTimestamp', () => {
  it('takes epoch milliseconds as they are, dropping fractions', () => {
    expect(deviceTimestamp({ '@timestamp': NOW - 5000 }, NOW)).toBe(NOW - 5000);
    expect(deviceTimestamp({ timestamp: NOW - 5000 + 0.7 }, NOW)).toBe(NOW - 5000);
  });

  it('takes an ISO 8601 date', () => {
    expect(deviceTimestamp({ timestamp: '2025-06-01T11:59:58.250Z' }, NOW)).toBe(NOW - 1750);
    expect(deviceTimestamp({ timestamp: '2025-06-01T13:59:58+02:00' }, NOW)).toBe(NOW - 2000);
  });

  it("prefers the original firmware's @timestamp over timestamp", () => {
    expect(deviceTimestamp({ '@timestamp': NOW - 1, timestamp: NOW - 2 }, NOW)).toBe(NOW - 1);
  });

  it('ignores a payload without a timestamp', () => {
    expect(deviceTimestamp({ value: 3 }, NOW)).toBeUndefined();
  });

  it('ignores times before 2000', () => {
    expect(deviceTimestamp({ '@timestamp': Date.UTC(1999, 11, 31, 23, 59) }, NOW)).toBeUndefined();
    expect(deviceTimestamp({ timestamp: '1970-01-01T00:00:00Z' }, NOW)).toBeUndefined();
    expect(deviceTimestamp({ '@timestamp': Date.UTC(2000, 0, 1) }, NOW)).toBe(Date.UTC(2000, 0, 1));
  });

  it('ignores numbers that look like epoch seconds', () => {
    expect(deviceTimestamp({ '@timestamp': Math.floor(NOW / 1000) }, NOW)).toBeUndefined();
  });

  it('accepts up to a day of clock skew into the future, not more', () => {
    expect(deviceTimestamp({ '@timestamp': NOW + 23 * HOUR_MS }, NOW)).toBe(NOW + 23 * HOUR_MS);
    expect(deviceTimestamp({ '@timestamp': NOW + 24 * HOUR_MS }, NOW)).toBe(NOW + 24 * HOUR_MS);
    expect(deviceTimestamp({ '@timestamp': NOW + 24 * HOUR_MS + 1 }, NOW)).toBeUndefined();
    expect(deviceTimestamp({ timestamp: '2099-01-01T00:00:00Z' }, NOW)).toBeUndefined();
  });

  it('ignores strings that are no date at all', () => {
    expect(deviceTimestamp({ timestamp: 'yesterday' }, NOW)).toBeUndefined();
    expect(deviceTimestamp({ timestamp: '' }, NOW)).toBeUndefined();
  });

  // V8's Date.parse falls back to a lenient legacy parser: "12" is 2001-12-01 and "sensor 7"
  // 2001-07-01, in the hub's local time zone. Such strings then become the message's identity.
  it.each(['12', 'sensor 7', 'batch 2024'])('ignores the non-ISO string %p', (timestamp) => {
    expect(deviceTimestamp({ timestamp }, NOW)).toBeUndefined();
  });
});

describe('device policy', () => {
  // The default device policy as the hub evaluates it. Deeper telemetry topics (`telemetry/kitchen-1/power/extra`,
  // `telemetry/kitchen-1/`) pass the policy's `*` but are refused by the hub's telemetry topic check.
  const kitchen = { clientId: 'kitchen-1', workspaceId: 'ws_1', thingName: 'kitchen-1' };
  const policy = compilePolicies([DEFAULT_DEVICE_POLICY]);
  const mayPublish = (_thing: string, topic: string) => policy.allows('iot:Publish', topic, kitchen);
  const maySubscribe = (_thing: string, filter: string) => policy.allows('iot:Subscribe', filter, kitchen);

  it.each(['telemetry/kitchen-1', 'telemetry/kitchen-1/power', '$aws/things/kitchen-1/shadow/update', '$aws/things/kitchen-1/jobs/get'])('lets kitchen-1 publish to %s', (topic) => {
    expect(mayPublish('kitchen-1', topic)).toBe(true);
  });

  it.each([
    'telemetry/kitchen-10',
    'telemetry/kitchen',
    'telemetry/other/kitchen-1',
    'telemetry/+',
    '$aws/things/kitchen-10/shadow/update',
    '$aws/things/other/jobs/get',
    '$aws/things/kitchen-1/other',
    'kitchen-1',
    'Telemetry/kitchen-1',
  ])('refuses kitchen-1 publishing to %s', (topic) => {
    expect(mayPublish('kitchen-1', topic)).toBe(false);
  });

  it('lets a device subscribe only to its own shadow and jobs topics', () => {
    expect(maySubscribe('kitchen-1', '$aws/things/kitchen-1/shadow/update/accepted')).toBe(true);
    expect(maySubscribe('kitchen-1', '$aws/things/kitchen-1/jobs/notify-next')).toBe(true);
    expect(maySubscribe('kitchen-1', '$aws/things/kitchen-10/shadow/update/accepted')).toBe(false);
    expect(maySubscribe('kitchen-1', '$aws/things/+/shadow/update/accepted')).toBe(false);
    expect(maySubscribe('kitchen-1', 'telemetry/kitchen-1')).toBe(false);
    expect(maySubscribe('kitchen-1', '#')).toBe(false);
  });
});
