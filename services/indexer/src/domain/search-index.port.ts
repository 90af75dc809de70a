/** A telemetry message as the search index keeps it; `id` is `topic` + `epoch`, unique within a workspace, so a rewrite is idempotent. */
export interface TelemetryDocument {
  id: string;
  workspaceId: string;
  thingName: string;
  topic: string;
  epoch: number;
  /** The original firmware's fields, when present. */
  label?: string;
  unit?: string;
  value?: number;
  /** Every string value of the payload, for free-text search. */
  text: string;
}

/** A device as the search index keeps it. */
export interface DeviceDocument {
  workspaceId: string;
  thingName: string;
  name: string;
  type?: string;
  location?: string;
}

export interface SearchQuery {
  /** Free text; matches device names, labels, units and telemetry text. */
  text: string;
  /** Narrows to telemetry or devices; both when absent. */
  kind?: 'telemetry' | 'device';
  thingName?: string;
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

export type SearchHit =
  | { kind: 'device'; score: number; device: DeviceDocument }
  | { kind: 'telemetry'; score: number; telemetry: Omit<TelemetryDocument, 'text'> };

export interface SearchPage {
  items: SearchHit[];
  next?: string;
}

/**
 * Port: the search index (SQLite FTS5 embedded, Elasticsearch scale-out). Writes are idempotent
 * (by `TelemetryDocument.id`, by workspace + thing name for devices), so an at-least-once change
 * feed can replay freely. Every search is scoped to one workspace.
 */
export interface SearchIndex {
  upsertTelemetry(documents: TelemetryDocument[]): Promise<void>;
  upsertDevices(documents: DeviceDocument[]): Promise<void>;
  removeDevice(workspaceId: string, thingName: string): Promise<void>;
  search(workspaceId: string, query: SearchQuery): Promise<SearchPage>;
  close(): Promise<void>;
}
