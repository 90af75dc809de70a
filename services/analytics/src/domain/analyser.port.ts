import type { AnalyserKind, AnalysisTelemetry } from '@citus/contracts';

export interface AnalysisCall {
  endpoint: string;
  apiKey: string;
  imageUrl: string;
  /** Aborts the call: the analyser's time-out. */
  signal: AbortSignal;
}

/** What the vendor found, in the platform's terms. */
export type AnalysisFindings = Pick<AnalysisTelemetry, 'plates' | 'faces' | 'count'>;

/** A vendor's answer, or why there is none; failures are values (never thrown), without the key. */
export type AnalysisOutcome = { ok: true; findings: AnalysisFindings } | { ok: false; status: 'timeout' | 'error'; error: string };

/** Port: one kind of third-party image analysis (plate recognition, face detection). */
export interface ImageAnalyser {
  readonly kind: AnalyserKind;
  analyse(call: AnalysisCall): Promise<AnalysisOutcome>;
}

/** Port: stores an analysis result as telemetry of the thing, as the hub stores a device's. */
export interface AnalysisSink {
  store(message: { workspaceId: string; thingName: string; topic: string; payload: AnalysisTelemetry }): Promise<void>;
}
