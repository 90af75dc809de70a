import { TELEMETRY_TOPIC, TelemetryPayload, TelemetryQuery, telemetryTopic } from '../src/index.js';

describe('TelemetryQuery', () => {
  it('applies defaults', () => {
    expect(TelemetryQuery.parse({ thingName: 'kitchen-1' })).toEqual({ thingName: 'kitchen-1', limit: 100, order: 'asc' });
  });

  it('parses times given as epoch milliseconds', () => {
    const query = TelemetryQuery.parse({ thingName: 'kitchen-1', from: '1700000000000', to: '1700000060000' });
    expect(query.from).toBe(1_700_000_000_000);
    expect(query.to).toBe(1_700_000_060_000);
  });

  it('parses ISO 8601 times, with Z or an offset', () => {
    const query = TelemetryQuery.parse({ thingName: 'kitchen-1', from: '2024-01-01T00:00:00Z', to: '2024-01-01T02:00:00+02:00' });
    expect(query.from).toBe(Date.UTC(2024, 0, 1));
    expect(query.to).toBe(Date.UTC(2024, 0, 1));
  });

  it.each(['yesterday', '2024-01-01', '-5', '1e12', '2024-01-01T00:00:00'])('rejects the time %p', (from) => {
    expect(TelemetryQuery.safeParse({ thingName: 'kitchen-1', from }).success).toBe(false);
  });

  it('coerces and bounds the limit', () => {
    expect(TelemetryQuery.parse({ thingName: 'k', limit: '25' }).limit).toBe(25);
    expect(TelemetryQuery.safeParse({ thingName: 'k', limit: '0' }).success).toBe(false);
    expect(TelemetryQuery.safeParse({ thingName: 'k', limit: '1001' }).success).toBe(false);
  });

  it('needs a valid thing name', () => {
    expect(TelemetryQuery.safeParse({ thingName: 'a/b' }).success).toBe(false);
    expect(TelemetryQuery.safeParse({}).success).toBe(false);
  });
});

describe('TelemetryPayload', () => {
  it("accepts the original firmware's message and keeps extra fields", () => {
    const original = {
      value: 412.5,
      unit: 'PPM',
      label: 'Leakage',
      '@timestamp': 1_700_000_000_000,
      temperature: 21.5,
      humidity: 40,
      ID: 'dev-1',
      ownerID: 'owner-1',
      nested: { rssi: -60 },
    };
    expect(TelemetryPayload.parse(original)).toEqual(original);
  });

  it('accepts an ISO timestamp and an empty object', () => {
    expect(TelemetryPayload.parse({ timestamp: '2024-01-01T00:00:00Z' })).toEqual({ timestamp: '2024-01-01T00:00:00Z' });
    expect(TelemetryPayload.parse({})).toEqual({});
  });

  it.each([null, 42, 'text', [1, 2], true])('rejects the non-object %p', (payload) => {
    expect(TelemetryPayload.safeParse(payload).success).toBe(false);
  });

  it.each([{ value: '12' }, { value: null }, { temperature: 'hot' }, { humidity: {} }])('rejects a non-numeric measurement %j', (payload) => {
    expect(TelemetryPayload.safeParse(payload).success).toBe(false);
  });

  it('rejects a timestamp that is neither a number nor a string', () => {
    expect(TelemetryPayload.safeParse({ '@timestamp': { ms: 1 } }).success).toBe(false);
  });
});

describe('telemetry topics', () => {
  it('builds and matches topics with and without a stream', () => {
    expect(TELEMETRY_TOPIC.exec(telemetryTopic('kitchen-1'))?.slice(1)).toEqual(['kitchen-1', undefined]);
    expect(TELEMETRY_TOPIC.exec(telemetryTopic('kitchen-1', 'power'))?.slice(1)).toEqual(['kitchen-1', 'power']);
  });

  it.each(['telemetry/', 'telemetry/a/b/c', 'telemetry/+', 'telemetry/#', 'other/kitchen-1'])('does not match %p', (topic) => {
    expect(TELEMETRY_TOPIC.test(topic)).toBe(false);
  });
});
