export * from './error.schema.js';
export * from './identity.schema.js';
export * from './device.schema.js';
export * from './telemetry.schema.js';
export * from './health.schema.js';
