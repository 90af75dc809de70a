import type { AnalysisSink } from '../../domain/analyser.port.js';

/** The hub's IngestService, as far as analysis results need it: what a device's message goes through. */
export interface TelemetryIngest {
  ingest(
    session: { clientId: string; thingName: string; workspaceId: string; certificateId: string },
    topic: string,
    payload: Buffer,
  ): Promise<{ kind: 'stored' | 'duplicate' | 'dead-lettered' }>;
}

/** The session analysis results are stored under: the platform itself, not a device certificate. */
const ANALYTICS_CLIENT = 'citus-analytics';

/**
 * Results stored through the hub's telemetry rule: validated, written durably, and announced with
 * 'telemetry.stored' like a device's own messages, so they are indexed, queried and alerted on alike.
 */
export function hubAnalysisSink(ingest: TelemetryIngest): AnalysisSink {
  return {
    async store({ workspaceId, thingName, topic, payload }) {
      const session = { clientId: ANALYTICS_CLIENT, thingName, workspaceId, certificateId: ANALYTICS_CLIENT };
      const outcome = await ingest.ingest(session, topic, Buffer.from(JSON.stringify(payload)));
      if (outcome.kind === 'dead-lettered') throw new Error('the telemetry store dead-lettered it');
    },
  };
}
