export { createService, type AppRegistryContext } from './service.js';
export { AppRegistryConfig } from './config.js';
export type {
  ContainerRuntime,
  ContainerSpec,
  LogOptions,
  RuntimeAvailability,
  RuntimeState,
  RuntimeStatus,
} from './domain/container-runtime.port.js';
export { RuntimeError } from './domain/container-runtime.port.js';
