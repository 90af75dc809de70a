export { createService, type IotHubContext, type IotHubService } from './service.js';
export { IotHubConfig } from './config.js';
export { remoteCertificateAuthority, remoteDeviceAttributes, remoteReleaseLinks, remoteThingRegistrar, type RemoteCaOptions } from './adapters/http/device-registry.client.js';
export type { HubCertificateAuthority } from './domain/hub-ca.port.js';
export type { AppEndpoints } from './adapters/rules/hub-action.runner.js';
export type { ReleaseLinks } from './domain/jobs/release-links.port.js';
export type { DeviceAttributes } from './domain/groups/device-attributes.port.js';
export type { AnomalyCounts } from './app/rollout.service.js';
