import { z } from 'zod';
import { SeriesField } from './anomaly.schema.js';
import { ThingName } from './device.schema.js';
import { SecretName } from './secret.schema.js';
import { MAX_SHADOW_DEPTH, MAX_SHADOW_STATE_BYTES, ShadowName, utf8Bytes } from './shadow.schema.js';
import { TelemetryStream } from './telemetry-query.schema.js';
import { jsonDepth } from './telemetry.schema.js';

const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** `localhost`, 127.0.0.0/8 or `[::1]`: a receiver on this machine (tests, a local relay). */
export const isLoopbackHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || LOOPBACK_IPV4.test(hostname);

/**
 * A URL the platform calls out to (alert webhooks, analysis vendors): https, except a loopback
 * host, which may use http. No credentials in it: they belong in the workspace's secrets, and the
 * URL is shown back by the API.
 */
export const OutboundUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  // zod runs refinements after a failed check too: an unparsable value must not reach `new URL` here.
  .refine((value) => {
    const url = URL.parse(value);
    return url === null || url.protocol === 'https:' || isLoopbackHost(url.hostname);
  }, 'must be https (http only for a loopback host)')
  .refine((value) => {
    const url = URL.parse(value);
    return url === null || (url.username === '' && url.password === '');
  }, 'must not carry credentials: put them in a workspace secret');
export type OutboundUrl = z.infer<typeof OutboundUrl>;

export const AlertRuleId = z.string().regex(/^alr_[0-9a-f]{24}$/, 'an alert rule id (alr_ and 24 hex digits)');
export type AlertRuleId = z.infer<typeof AlertRuleId>;

/** Which series a rule watches; an absent key matches any. */
export const AlertMatch = z.strictObject({
  thingName: ThingName.optional(),
  stream: TelemetryStream.optional(),
  field: SeriesField.optional(),
});
export type AlertMatch = z.infer<typeof AlertMatch>;

export const ComparisonOp = z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'neq']);
export type ComparisonOp = z.infer<typeof ComparisonOp>;

/** Fires on an anomaly the detectors report, at or above `minScore` when given. */
export const AnomalyTrigger = z.strictObject({
  anomaly: z.strictObject({ minScore: z.number().min(0).max(1).optional() }),
});

/** Fires when a stored telemetry message's `field` compares true with `value`. */
export const ThresholdTrigger = z.strictObject({
  threshold: z.strictObject({ field: SeriesField, op: ComparisonOp, value: z.number().finite() }),
});

export const AlertTrigger = z.union([AnomalyTrigger, ThresholdTrigger]);
export type AlertTrigger = z.infer<typeof AlertTrigger>;

/**
 * POSTs the alert as JSON to `url`, signed: `X-Citus-Signature: t=<unix seconds>,v1=<hex>`, the
 * HMAC-SHA256 of `<t>.<body>` keyed with the workspace secret `secretName`.
 */
export const WebhookAction = z.strictObject({
  webhook: z.strictObject({ url: OutboundUrl, secretName: SecretName }),
});

/**
 * Sets desired state on the device's shadow (classic unless `shadowName`), as a shadow update would;
 * held to the hub's limits for an update (nesting, and the state's 8 KB), so a rule the hub would
 * refuse every time is refused when written.
 */
export const ShadowAction = z.strictObject({
  shadow: z.strictObject({
    shadowName: ShadowName.optional(),
    desired: z
      .record(z.string(), z.unknown())
      .refine((desired) => Object.keys(desired).length > 0, 'at least one key')
      .refine((desired) => jsonDepth(desired, MAX_SHADOW_DEPTH) <= MAX_SHADOW_DEPTH, `nested deeper than ${MAX_SHADOW_DEPTH} levels`)
      .refine((desired) => utf8Bytes(JSON.stringify({ desired })) <= MAX_SHADOW_STATE_BYTES, `larger than the shadow's ${MAX_SHADOW_STATE_BYTES} bytes of state`),
  }),
});

export const AlertAction = z.union([WebhookAction, ShadowAction]);
export type AlertAction = z.infer<typeof AlertAction>;

/** The body of `POST /api/v1/alert-rules` and `PUT /api/v1/alert-rules/{ruleId}`. */
export const AlertRuleRequest = z.strictObject({
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().default(true),
  match: AlertMatch.default({}),
  trigger: AlertTrigger,
  actions: z.array(AlertAction).min(1).max(5),
  /** After firing for a series, the rule stays quiet for that series this long; at least a second, so a chatty device cannot make a webhook storm. */
  cooldownSeconds: z.number().int().min(1).max(86_400).default(300),
});
export type AlertRuleRequest = z.infer<typeof AlertRuleRequest>;

/** What one action did the last time the rule fired. */
export const AlertActionOutcome = z.object({
  action: z.enum(['webhook', 'shadow']),
  ok: z.boolean(),
  attempts: z.number().int().nonnegative(),
  /** The receiver's HTTP status, for a webhook that answered. */
  httpStatus: z.number().int().optional(),
  error: z.string().optional(),
});
export type AlertActionOutcome = z.infer<typeof AlertActionOutcome>;

export const AlertDelivery = z.object({
  at: z.iso.datetime(),
  thingName: ThingName,
  /** Every action succeeded. */
  ok: z.boolean(),
  actions: z.array(AlertActionOutcome),
});
export type AlertDelivery = z.infer<typeof AlertDelivery>;

export const AlertRule = z.object({
  id: AlertRuleId,
  name: z.string(),
  enabled: z.boolean(),
  match: AlertMatch,
  trigger: AlertTrigger,
  actions: z.array(AlertAction),
  cooldownSeconds: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** The last time the rule fired, and how its actions went; `null` until then. */
  lastDelivery: AlertDelivery.nullable(),
});
export type AlertRule = z.infer<typeof AlertRule>;

export const AlertRuleList = z.object({ items: z.array(AlertRule) });
export type AlertRuleList = z.infer<typeof AlertRuleList>;

export const AlertRulePathParams = z.object({ ruleId: AlertRuleId });

/** The JSON body an alert webhook receives. */
export const AlertWebhookBody = z.object({
  ruleId: AlertRuleId,
  ruleName: z.string(),
  workspaceId: z.string(),
  thingName: ThingName,
  stream: z.string().optional(),
  field: z.string(),
  epoch: z.number().int(),
  value: z.number(),
  trigger: z.enum(['anomaly', 'threshold']),
  /** The anomaly's score, for an anomaly trigger. */
  score: z.number().optional(),
  firedAt: z.iso.datetime(),
});
export type AlertWebhookBody = z.infer<typeof AlertWebhookBody>;

/** The header a platform webhook's signature travels in (alert rules' webhooks, topic rules' http and app actions). */
export const WEBHOOK_SIGNATURE_HEADER = 'x-citus-signature';
