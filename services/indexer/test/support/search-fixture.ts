import type { DeviceDocument, SearchQuery, TelemetryDocument } from '../../src/domain/search-index.port.js';

export const WORKSPACE = 'ws_search_a';
export const OTHER_WORKSPACE = 'ws_search_b';
export const THING = 'gas-sensor-1';
export const T0 = 1_700_000_000_000;

/** A telemetry document in the original firmware's shape; override what a test is about. */
export function aTelemetryDocument(overrides: Partial<TelemetryDocument> = {}): TelemetryDocument {
  const thingName = overrides.thingName ?? THING;
  const epoch = overrides.epoch ?? T0;
  const topic = overrides.topic ?? `telemetry/${thingName}`;
  return {
    id: `${topic}#${epoch}`,
    workspaceId: WORKSPACE,
    thingName,
    topic,
    epoch,
    label: 'Leakage',
    unit: 'PPM',
    value: 412.5,
    text: 'Leakage PPM kitchen',
    ...overrides,
  };
}

export function aDevice(overrides: Partial<DeviceDocument> = {}): DeviceDocument {
  return { workspaceId: WORKSPACE, thingName: THING, name: 'Kitchen gas sensor', type: 'gas-sensor', location: 'Kitchen', ...overrides };
}

export const aQuery = (text: string, overrides: Partial<SearchQuery> = {}): SearchQuery => ({ text, limit: 20, ...overrides });
