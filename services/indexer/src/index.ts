export type { ChangeBatch, ChangeFeed, ChangeRecord, CheckpointStore, FeedSubscription } from './domain/change-feed.port.js';
export type { DeviceDocument, SearchHit, SearchIndex, SearchPage, SearchQuery, TelemetryDocument } from './domain/search-index.port.js';
