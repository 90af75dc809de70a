import type { AnalyserRequest, AnalyserRun } from '@citus/contracts';
import { streamOfTopic, valueAt } from './alert-signal.rules.js';

export interface StoredAnalyser {
  id: string;
  workspaceId: string;
  definition: AnalyserRequest;
  createdAt: number;
  updatedAt: number;
  lastRun: AnalyserRun | null;
}

/** Port: analysers, always read and changed within one workspace. Names are unique in a workspace. */
export interface AnalyserRepository {
  /** `conflict` when the workspace has an analyser of that name already. */
  insert(analyser: StoredAnalyser): Promise<'inserted' | 'conflict'>;
  replace(analyser: Omit<StoredAnalyser, 'createdAt' | 'lastRun'>): Promise<'replaced' | 'missing' | 'conflict'>;
  find(workspaceId: string, analyserId: string): Promise<StoredAnalyser | undefined>;
  list(workspaceId: string): Promise<StoredAnalyser[]>;
  delete(workspaceId: string, analyserId: string): Promise<boolean>;
  listEnabled(workspaceId: string): Promise<StoredAnalyser[]>;
  recordRun(workspaceId: string, analyserId: string, run: AnalyserRun): Promise<void>;
}

/** Results go to `telemetry/{thingName}/analysis-{name}`; messages there are never analysed again. */
export const ANALYSIS_STREAM_PREFIX = 'analysis-';

export const analysisTopic = (thingName: string, analyserName: string): string => `telemetry/${thingName}/${ANALYSIS_STREAM_PREFIX}${analyserName}`;

/**
 * The image URL a stored message holds for the analyser: undefined when the message is not for it
 * (another thing or stream, an analysis result, no such field); `invalid` when the field is there
 * but holds no http(s) URL.
 */
export function imageOf(analyser: AnalyserRequest, thingName: string, topic: string, payload: Record<string, unknown>): string | 'invalid' | undefined {
  const stream = streamOfTopic(topic);
  if (stream?.startsWith(ANALYSIS_STREAM_PREFIX)) return undefined;
  if (analyser.match.thingName !== undefined && analyser.match.thingName !== thingName) return undefined;
  if (analyser.match.stream !== undefined && analyser.match.stream !== stream) return undefined;
  const value = valueAt(payload, analyser.imageField);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !URL.canParse(value)) return 'invalid';
  const protocol = new URL(value).protocol;
  return protocol === 'https:' || protocol === 'http:' ? value : 'invalid';
}
