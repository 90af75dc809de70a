import type { Service, ServiceContext } from '@citus/kit';
import { Router } from 'express';
import type { EmbeddedCertificateAuthority } from '@citus/pki';
import { DeviceService } from './app/device.service.js';
import { DeviceProvisioningService } from './app/device-provisioning.service.js';
import { RegistryDirectory } from './app/registry.directory.js';
import { deviceRoutes } from './adapters/http/device.routes.js';
import { internalRoutes } from './adapters/http/internal.routes.js';
import { EmbeddedCaAdapter } from './adapters/pki/embedded-ca.adapter.js';
import type { DeviceLifecycleConfig } from './config.js';
import { connectivityDirectoryOf, type ConnectivityDirectory, type ThingPresence } from './domain/device.model.js';
import { createRegistryStore } from './registry-store.module.js';
import { openStreamedDirectory } from './streamed-directory.module.js';
import { createReleasesModule } from './releases.module.js';
import type { ReleaseService } from './app/release.service.js';

export interface DeviceLifecycleContext extends ServiceContext {
  config: DeviceLifecycleConfig;
  ca: EmbeddedCertificateAuthority;
  /** The MQTT port devices are told to use, once the hub listens. */
  mqttPort: () => number;
  /** Whether each thing is connected now: the hub's presence, in process or over its internal API (`remoteConnectivity`). */
  connectivity?: ConnectivityDirectory | ThingPresence;
  /**
   * The hub's `CITUS_HUB_HOSTNAMES`: with `CITUS_MQTT_ENDPOINT`, `localhost` and `127.0.0.1`, the
   * only names a hub in another process may have its server certificate signed for.
   */
  hubHostnames?: readonly string[];
}

export interface DeviceLifecycleService extends Service {
  devices: DeviceService;
  /** Fleet provisioning's RegisterThing: activated devices made by the hub. */
  provisioning: DeviceProvisioningService;
  /** Software releases, and the download links the hub puts in job documents. */
  releases: ReleaseService;
}

export function createService(ctx: DeviceLifecycleContext): DeviceLifecycleService {
  const store = createRegistryStore({ config: ctx.config, dataDir: ctx.dataDir, logger: ctx.logger.child({ module: 'device-lifecycle' }) });
  ctx.shutdown.add('device store', () => store.stop());
  // Shared by both services: each records its own writes in it.
  const directory = new RegistryDirectory();
  // On DynamoDB, other instances' writes too, from the registry stream. It announces only what is
  // news to the directory: their revocations and deletions reach this process's hub, this one's are
  // announced once, by the services that make them.
  const streamed = ctx.config.CITUS_REGISTRY_STORE === 'dynamodb'
    ? openStreamedDirectory({ config: ctx.config, events: ctx.events, logger: ctx.logger, directory })
    : undefined;
  if (streamed) ctx.shutdown.add('registry stream', () => streamed.stop());
  // A thing may download while it is in the registry, in its workspace.
  const standing = { isActiveThing: (workspaceId: string, thingName: string) => directory.workspaceOfThing(thingName) === workspaceId };
  const releases = createReleasesModule({ ...ctx, devices: standing, logger: ctx.logger.child({ module: 'releases' }) });
  const devices = new DeviceService(
    store.repository,
    directory,
    new EmbeddedCaAdapter(ctx.ca, ctx.config.CITUS_DEVICE_CERT_DAYS),
    ctx.events,
    {
      activationTtlMs: ctx.config.CITUS_ACTIVATION_TTL_HOURS * 3_600_000,
      mqttEndpoint: ctx.config.CITUS_MQTT_ENDPOINT,
      mqttPort: ctx.mqttPort,
      codeSigningKey: (workspaceId) => releases.releases.signingKey(workspaceId),
    },
  );
  const provisioning = new DeviceProvisioningService(store.repository, directory, ctx.events);
  const serverHostnames = ['localhost', '127.0.0.1', ctx.config.CITUS_MQTT_ENDPOINT, ...(ctx.hubHostnames ?? [])];
  return {
    name: 'device-lifecycle',
    devices,
    provisioning,
    releases: releases.releases,
    apiRoutes: Router().use(
      deviceRoutes(devices, ctx.authenticate, ctx.ca.certificatePem, ctx.connectivity && connectivityDirectoryOf(ctx.connectivity)),
      releases.routes,
    ),
    // For the hub in a process of its own (the launcher mounts it only with a service token).
    internalRoutes: internalRoutes({ ca: ctx.ca, deviceCertificateDays: ctx.config.CITUS_DEVICE_CERT_DAYS, serverHostnames, provisioning, releases: releases.releases, devices }),
    // Before the hub starts (the platform starts services in order): it asks the directory at once.
    async start() {
      await store.start();
      await releases.start();
      // The streamed directory loads the directory itself, once the stream is open.
      await (streamed ? streamed.start() : devices.start());
    },
  };
}
