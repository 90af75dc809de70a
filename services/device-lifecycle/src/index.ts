export { createService, type DeviceLifecycleContext, type DeviceLifecycleService } from './service.js';
export { DeviceLifecycleConfig } from './config.js';
export { DeviceService } from './app/device.service.js';
export { DeviceProvisioningService, type ProvisionedThing, type ProvisioningOutcome } from './app/device-provisioning.service.js';
export { remoteConnectivity } from './adapters/http/hub-connectivity.client.js';
export { openStreamedDirectory, type StreamedDirectory, type StreamedDirectoryOptions } from './streamed-directory.module.js';
