import { AlertRuleRequest, OutboundUrl, type Anomaly } from '@citus/contracts';
import { anomalySignal, thresholdSignals, valueAt } from '../src/domain/alert-signal.rules.js';
import { imageOf } from '../src/domain/analyser.model.js';
import { AnalyserRequest } from '@citus/contracts';

const rule = (trigger: unknown, match: Record<string, string> = {}) =>
  AlertRuleRequest.parse({ name: 'r', match, trigger, actions: [{ shadow: { desired: { on: true } } }] });

const batch = (payloads: Array<Record<string, unknown>>, topic = 'telemetry/t1') => ({
  workspaceId: 'ws',
  thingName: 't1',
  items: payloads.map((payload, epoch) => ({ topic, epoch, payload })),
});

describe('alert signal rules', () => {
  it.each([
    ['gt', [4, 5, 6], [6]],
    ['gte', [4, 5, 6], [5, 6]],
    ['lt', [4, 5, 6], [4]],
    ['lte', [4, 5, 6], [4, 5]],
    ['eq', [4, 5, 6], [5]],
    ['neq', [4, 5, 6], [4, 6]],
  ] as const)('compares with %s', (op, values, fired) => {
    const signals = thresholdSignals(rule({ threshold: { field: 'v', op, value: 5 } }), batch(values.map((v) => ({ v }))));
    expect(signals.map((signal) => signal.value)).toEqual(fired);
  });

  it('reads nested fields and dotted keys, and ignores what is not a finite number', () => {
    expect(valueAt({ engine: { oil: { pressure: 3 } } }, 'engine.oil.pressure')).toBe(3);
    expect(valueAt({ 'engine.rpm': 900 }, 'engine.rpm')).toBe(900);
    expect(valueAt({ engine: [1] }, 'engine.0')).toBeUndefined();
    const signals = thresholdSignals(rule({ threshold: { field: 'v', op: 'gt', value: 0 } }), batch([{ v: '7' }, { v: null }, { v: true }, {}]));
    expect(signals).toEqual([]);
  });

  it('matches thing and stream; the stream comes from the topic', () => {
    const threshold = { threshold: { field: 'v', op: 'gt', value: 0 } };
    expect(thresholdSignals(rule(threshold, { stream: 'engine' }), batch([{ v: 1 }]))).toEqual([]);
    expect(thresholdSignals(rule(threshold, { stream: 'engine' }), batch([{ v: 1 }], 'telemetry/t1/engine'))[0]?.stream).toBe('engine');
    expect(thresholdSignals(rule(threshold, { thingName: 't2' }), batch([{ v: 1 }]))).toEqual([]);
  });

  it('takes anomalies at or above the minimum score, for anomaly rules only', () => {
    const anomaly: Anomaly = { id: 'a', workspaceId: 'ws', thingName: 't1', field: 'v', epoch: 1, value: 9, score: 0.8, detector: 'd' };
    expect(anomalySignal(rule({ anomaly: { minScore: 0.8 } }), anomaly)).toMatchObject({ trigger: 'anomaly', score: 0.8 });
    expect(anomalySignal(rule({ anomaly: { minScore: 0.81 } }), anomaly)).toBeUndefined();
    expect(anomalySignal(rule({ anomaly: {} }, { field: 'w' }), anomaly)).toBeUndefined();
    expect(anomalySignal(rule({ threshold: { field: 'v', op: 'gt', value: 0 } }), anomaly)).toBeUndefined();
  });
});

describe('outbound URLs', () => {
  it.each([
    ['https://hooks.example.com/a', true],
    ['http://127.0.0.1:8080/a', true],
    ['http://127.200.3.4/a', true],
    ['http://localhost:9/a', true],
    ['http://[::1]:9/a', true],
    ['http://hooks.example.com/a', false],
    ['http://127.0.0.1.nip.io/a', false],
    ['http://10.0.0.1/a', false],
    ['ftp://127.0.0.1/a', false],
    ['https://user:secret@hooks.example.com/a', false],
    ['not a url', false],
  ])('%s: %s', (url, accepted) => {
    expect(OutboundUrl.safeParse(url).success).toBe(accepted);
  });
});

describe('which messages an analyser takes', () => {
  const analyser = AnalyserRequest.parse({
    name: 'plates',
    kind: 'plate-recognition',
    endpoint: 'https://vendor.example.com/v1/plate-reader/',
    secretName: 'k',
    match: { stream: 'camera' },
    imageField: 'image',
  });

  it('takes an http(s) URL in the image field of a matching stream; never its own results', () => {
    expect(imageOf(analyser, 't1', 'telemetry/t1/camera', { image: 'https://img.example/a.jpg' })).toBe('https://img.example/a.jpg');
    expect(imageOf(analyser, 't1', 'telemetry/t1/other', { image: 'https://img.example/a.jpg' })).toBeUndefined();
    expect(imageOf(analyser, 't1', 'telemetry/t1/camera', { value: 1 })).toBeUndefined();
    expect(imageOf(analyser, 't1', 'telemetry/t1/camera', { image: 'file:///etc/passwd' })).toBe('invalid');
    expect(imageOf(analyser, 't1', 'telemetry/t1/camera', { image: 42 })).toBe('invalid');
    const any = { ...analyser, match: {} };
    expect(imageOf(any, 't1', 'telemetry/t1/analysis-plates', { image: 'https://img.example/a.jpg' })).toBeUndefined();
  });
});
