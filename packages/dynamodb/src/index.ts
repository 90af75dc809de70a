export * from './client.js';
export * from './tables.js';
export * from './telemetry.tables.js';
export * from './registry.tables.js';
export * from './dynamodb-local.js';
export * from './streams/index.js';
