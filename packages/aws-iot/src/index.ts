export * from './device-policy.js';
export * from './iot.errors.js';
export * from './iot-control-plane.js';
export * from './telemetry-rule.js';
export * from './topic-rules.js';
