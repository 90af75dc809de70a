import { InternalIngestOutcome, InternalShadowOutcome, InternalThing } from '@citus/contracts';
import { AppError } from '@citus/kit';
import type { ThingDirectory } from '../../domain/detection-store.port.js';
import type { ShadowUpdater } from '../hub/alert-shadow.writer.js';
import type { TelemetryIngest } from '../hub/analyser-telemetry.sink.js';
import { DevicePlaneClient, type DevicePlaneOptions } from './device-plane.client.js';

/** What analytics asks of the hub (its thing directory, shadows and ingest), from a process of its own. */
export interface RemoteDevicePlane {
  things: ThingDirectory;
  shadows: ShadowUpdater;
  ingest: TelemetryIngest;
}

const thingPath = (thingName: string): string => `/things/${encodeURIComponent(thingName)}`;

/**
 * The hub's thing directory, its shadows and its telemetry ingest over the device
 * plane's internal API: the same answers as in one process (a thing of another workspace is
 * "not found"; a refused shadow update is a value), or `unavailable` when the plane cannot answer.
 */
export function remoteDevicePlane(options: DevicePlaneOptions): RemoteDevicePlane {
  const client = new DevicePlaneClient(options);
  return {
    things: {
      async workspaceOfThing(thingName) {
        return (await client.call('GET', thingPath(thingName), undefined, InternalThing))?.workspaceId;
      },
    },
    shadows: {
      async update(target, input) {
        const request = { workspaceId: target.workspaceId, ...(target.shadowName === undefined ? {} : { shadowName: target.shadowName }), body: input.body };
        const outcome = await client.call('POST', `${thingPath(target.thingName)}/shadow`, request, InternalShadowOutcome);
        return outcome ?? { ok: false, error: { code: 404, message: `no thing ${target.thingName} in the workspace` } };
      },
    },
    ingest: {
      async ingest(session, topic, payload) {
        const request = { session, topic, payload: payload.toString('base64') };
        const outcome = await client.call('POST', '/telemetry', request, InternalIngestOutcome);
        if (!outcome) throw new AppError('not_found', `no thing ${session.thingName} in the workspace`);
        return outcome;
      },
    },
  };
}
