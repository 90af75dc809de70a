import { MAX_POINTS_PER_MESSAGE, pointsOf, type StoredMessage } from '../src/domain/telemetry-points.rules.js';

const message = (payload: unknown, topic = 'telemetry/pump-1'): StoredMessage => ({
  topic,
  epoch: 1_000,
  workspaceId: 'ws_1',
  thingName: 'pump-1',
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});

const fieldsOf = (payload: unknown, topic?: string) => pointsOf(message(payload, topic)).map((point) => [point.series.field, point.value]);

describe('the points of a stored message', () => {
  it('takes every finite number, nested keys joined with a dot, array items by index', () => {
    expect(fieldsOf({ value: 412.5, unit: 'PPM', engine: { temperature: 80, ok: true, rpm: { now: 900 } }, axes: [1, 2] })).toEqual([
      ['value', 412.5],
      ['engine.temperature', 80],
      ['engine.rpm.now', 900],
      ['axes.0', 1],
      ['axes.1', 2],
    ]);
  });

  it('skips the timestamps, strings, booleans and nulls', () => {
    expect(fieldsOf({ timestamp: 1_700_000_000_000, '@timestamp': 1_700_000_000_000, label: 'x', on: false, gone: null, humidity: 44 })).toEqual([
      ['humidity', 44],
    ]);
  });

  it('names the series by workspace, thing, stream and field, at the message time', () => {
    expect(pointsOf(message({ rpm: 3 }, 'telemetry/pump-1/engine'))).toEqual([
      { series: { workspaceId: 'ws_1', thingName: 'pump-1', stream: 'engine', field: 'rpm' }, epoch: 1_000, value: 3 },
    ]);
    expect(pointsOf(message({ rpm: 3 }))[0]?.series.stream).toBe('');
  });

  it('yields nothing for a payload that is not a JSON object or a topic that is not telemetry', () => {
    for (const payload of ['not json', '[1, 2]', '42', 'null', '{"a": 1']) expect(fieldsOf(payload)).toEqual([]);
    expect(fieldsOf({ value: 1 }, '$aws/things/pump-1/shadow/update')).toEqual([]);
  });

  it('bounds the points of one message and the depth it looks at', () => {
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]));
    expect(fieldsOf(wide)).toHaveLength(MAX_POINTS_PER_MESSAGE);
    let deep: Record<string, unknown> = { value: 1 };
    for (let level = 0; level < 40; level++) deep = { d: deep };
    expect(fieldsOf(deep)).toEqual([]);
    // 1e999 parses as Infinity: not a measurement.
    expect(fieldsOf('{"huge": 1e999, "fine": 2}')).toEqual([['fine', 2]]);
  });
});
