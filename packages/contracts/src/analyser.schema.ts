import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { OutboundUrl } from './alert-rule.schema.js';
import { SeriesField } from './anomaly.schema.js';
import { TelemetryStream } from './telemetry-query.schema.js';
import { SecretName } from './secret.schema.js';

/**
 * The vendors' API shapes the platform speaks: `plate-recognition` as Plate Recognizer's
 * plate-reader (`Authorization: Token <key>`, form field `upload_url`), `face-detection` as a
 * typical face-detection REST API (Azure Face's detect: `Ocp-Apim-Subscription-Key`, `{url}`).
 */
export const AnalyserKind = z.enum(['plate-recognition', 'face-detection']);
export type AnalyserKind = z.infer<typeof AnalyserKind>;

/** Also the stream results are stored on: `telemetry/{thingName}/analysis-{name}`. */
export const AnalyserName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -, up to 63');

export const AnalyserId = z.string().regex(/^ana_[0-9a-f]{24}$/, 'an analyser id (ana_ and 24 hex digits)');

/** The body of `POST /api/v1/analysers` and `PUT /api/v1/analysers/{analyserId}`. */
export const AnalyserRequest = z.strictObject({
  name: AnalyserName,
  kind: AnalyserKind,
  enabled: z.boolean().default(true),
  /** The vendor's endpoint: https (http only for a loopback host). */
  endpoint: OutboundUrl,
  /** The workspace secret holding the vendor's API key. */
  secretName: SecretName,
  /** Which telemetry it looks at; an absent key matches any. */
  match: z.strictObject({ thingName: ThingName.optional(), stream: TelemetryStream.optional() }).default({}),
  /** The payload field holding the image's URL (keys joined with `.`). */
  imageField: SeriesField,
  /** How long the vendor gets to answer; then the call is abandoned and recorded as timed out. */
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
});
export type AnalyserRequest = z.infer<typeof AnalyserRequest>;

export const AnalyserRun = z.object({
  at: z.iso.datetime(),
  thingName: ThingName,
  status: z.enum(['ok', 'timeout', 'error']),
  durationMs: z.number().int().nonnegative(),
  /** What went wrong, never with the API key. */
  error: z.string().optional(),
});
export type AnalyserRun = z.infer<typeof AnalyserRun>;

export const Analyser = z.object({
  id: AnalyserId,
  name: AnalyserName,
  kind: AnalyserKind,
  enabled: z.boolean(),
  endpoint: z.string(),
  secretName: SecretName,
  match: z.object({ thingName: ThingName.optional(), stream: z.string().optional() }),
  imageField: z.string(),
  timeoutMs: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** The latest call to the vendor; `null` until one. */
  lastRun: AnalyserRun.nullable(),
});
export type Analyser = z.infer<typeof Analyser>;

export const AnalyserList = z.object({ items: z.array(Analyser) });
export type AnalyserList = z.infer<typeof AnalyserList>;

export const AnalyserPathParams = z.object({ analyserId: AnalyserId });

const Box = z.object({ xmin: z.number(), ymin: z.number(), xmax: z.number(), ymax: z.number() });

/** Plate Recognizer's plate-reader answer, the parts the platform keeps. */
export const PlateReaderReply = z.looseObject({
  results: z.array(z.looseObject({ plate: z.string(), score: z.number(), box: Box, region: z.looseObject({ code: z.string() }).optional() })),
});
export type PlateReaderReply = z.infer<typeof PlateReaderReply>;

/** A face-detection answer: one entry per face with its rectangle (Azure Face's detect shape). */
export const FaceDetectReply = z.array(
  z.looseObject({ faceRectangle: z.object({ top: z.number(), left: z.number(), width: z.number(), height: z.number() }) }),
);
export type FaceDetectReply = z.infer<typeof FaceDetectReply>;

/** What is stored as telemetry on `telemetry/{thingName}/analysis-{name}`. */
export const AnalysisTelemetry = z.object({
  analyser: AnalyserName,
  kind: AnalyserKind,
  /** The message whose image was analysed. */
  source: z.object({ topic: z.string(), epoch: z.number().int() }),
  image: z.string(),
  /** Plates read, for plate recognition. */
  plates: z.array(z.object({ plate: z.string(), score: z.number(), box: Box, region: z.string().optional() })).optional(),
  /** Faces found, for face detection. */
  faces: z.array(z.object({ top: z.number(), left: z.number(), width: z.number(), height: z.number() })).optional(),
  /** How many plates or faces: a number, so detectors and threshold rules can watch it. */
  count: z.number().int().nonnegative(),
});
export type AnalysisTelemetry = z.infer<typeof AnalysisTelemetry>;
