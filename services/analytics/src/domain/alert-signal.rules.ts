import { TELEMETRY_TOPIC, type AlertMatch, type AlertRuleRequest, type Anomaly, type ComparisonOp, type TelemetryItem } from '@citus/contracts';

/** Something that may fire a rule: one value of one series, with what triggered it. */
export interface AlertSignal {
  workspaceId: string;
  thingName: string;
  stream?: string;
  field: string;
  epoch: number;
  value: number;
  trigger: 'anomaly' | 'threshold';
  score?: number;
}

/** The stream of `telemetry/{thingName}/{stream}`; undefined for `telemetry/{thingName}`. */
export const streamOfTopic = (topic: string): string | undefined => TELEMETRY_TOPIC.exec(topic)?.[2];

/** The value at a field path (`engine.temperature`): nested keys, or a top-level key holding the dots. */
export function valueAt(payload: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let node: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const COMPARE: Record<ComparisonOp, (a: number, b: number) => boolean> = {
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
  eq: (a, b) => a === b,
  neq: (a, b) => a !== b,
};

export function matchesSeries(match: AlertMatch, series: { thingName: string; stream?: string; field: string }): boolean {
  return (
    (match.thingName === undefined || match.thingName === series.thingName) &&
    (match.stream === undefined || match.stream === series.stream) &&
    (match.field === undefined || match.field === series.field)
  );
}

/** The signals a stored telemetry batch gives a threshold rule: each message whose field compares true. */
export function thresholdSignals(rule: AlertRuleRequest, batch: { workspaceId: string; thingName: string; items: TelemetryItem[] }): AlertSignal[] {
  if (!('threshold' in rule.trigger)) return [];
  const { field, op, value: limit } = rule.trigger.threshold;
  return batch.items.flatMap((item): AlertSignal[] => {
    const stream = streamOfTopic(item.topic);
    if (!matchesSeries(rule.match, { thingName: batch.thingName, stream, field })) return [];
    const value = valueAt(item.payload, field);
    if (typeof value !== 'number' || !Number.isFinite(value) || !COMPARE[op](value, limit)) return [];
    return [{ workspaceId: batch.workspaceId, thingName: batch.thingName, stream, field, epoch: item.epoch, value, trigger: 'threshold' }];
  });
}

/** The signal an anomaly gives an anomaly rule, when it matches and scores high enough. */
export function anomalySignal(rule: AlertRuleRequest, anomaly: Anomaly): AlertSignal | undefined {
  if (!('anomaly' in rule.trigger)) return undefined;
  if (!matchesSeries(rule.match, anomaly)) return undefined;
  if (anomaly.score < (rule.trigger.anomaly.minScore ?? 0)) return undefined;
  const { workspaceId, thingName, stream, field, epoch, value, score } = anomaly;
  return { workspaceId, thingName, ...(stream === undefined ? {} : { stream }), field, epoch, value, trigger: 'anomaly', score };
}

/** One series of one rule: the unit a cool-down applies to. */
export const cooldownKey = (ruleId: string, signal: AlertSignal): string =>
  [ruleId, signal.thingName, signal.stream ?? '', signal.field].join('\u0000');
