export { createService, type AppRegistryContext, type AppRegistryService } from './service.js';
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
export type { Actor, AppRecord, AppRepository, AppVersionRecord } from './domain/app.model.js';
export { AppCatalogService } from './app/app-catalog.service.js';
export { canDeploy } from './app/app-version.transitions.js';
