import { join } from 'node:path';
import type { BearerResolver, Metrics, Service, ServiceContext } from '@citus/kit';
import { createKeyAndCsr } from '@citus/pki';
import { Router } from 'express';
import { migrate, openDatabase } from '@citus/sqlite';
import { IngestService } from './app/ingest.service.js';
import { PolicyService } from './app/policy.service.js';
import { PresenceService } from './app/presence.service.js';
import { ReservedTopicRouter } from './app/reserved-topic.router.js';
import { ShadowService } from './app/shadow.service.js';
import { shadowRoutes } from './adapters/http/shadow.routes.js';
import { internalRoutes } from './adapters/http/internal.routes.js';
import { shadowHandlers } from './adapters/mqtt/shadow.handlers.js';
import { SHADOW_MIGRATIONS, SqliteShadowRepository } from './adapters/sqlite/shadow.repository.js';
import { policyRoutes } from './adapters/http/policy.routes.js';
import { telemetryRoutes } from './adapters/http/telemetry.routes.js';
import { telemetryQueryRoutes } from './adapters/http/telemetry-query.routes.js';
import { jobsRoutes } from './adapters/http/jobs.routes.js';
import { jobsHandlers } from './adapters/mqtt/jobs.handlers.js';
import { JOB_MIGRATIONS, SqliteJobRepository } from './adapters/sqlite/job.repository.js';
import { JobControlService } from './app/job-control.service.js';
import { JobsService } from './app/jobs.service.js';
import { anomalyRates, RolloutService, telemetryMetrics, type AnomalyCounts } from './app/rollout.service.js';
import { HubBroker } from './adapters/mqtt/hub.broker.js';
import { mqttOverWebSocket } from './adapters/mqtt/websocket.listener.js';
import { CONNECTIVITY_MIGRATIONS, SqliteConnectivityRepository } from './adapters/sqlite/connectivity.repository.js';
import { POLICY_MIGRATIONS, SqlitePolicyRepository } from './adapters/sqlite/policy.repository.js';
import { TELEMETRY_MIGRATIONS } from './adapters/sqlite/telemetry.repository.js';
import { RETENTION_MIGRATIONS, SqliteRetentionRepository } from './adapters/sqlite/retention.repository.js';
import { retentionRoutes } from './adapters/http/retention.routes.js';
import { RetentionService } from './app/retention.service.js';
import { createTelemetryStore } from './telemetry-store.module.js';
import { ThreadedShadowStore } from './adapters/worker/threaded.shadow-store.js';
import { lagHold } from './app/lag-hold.js';
import type { IotHubConfig } from './config.js';
import type { AccessDecider } from './domain/access.port.js';
import { hubAccess } from './domain/workspace-boundary.access.js';
import { workspaceUserAccess } from './domain/workspace-user.access.js';
import type { CertificateDirectory, ThingDirectory } from './domain/device-session.model.js';
import type { HubCertificateAuthority } from './domain/hub-ca.port.js';
import type { MessagePublisher } from './domain/message-publisher.port.js';
import type { ThingRegistrar } from './domain/provisioning/thing-registrar.port.js';
import type { ProvisioningService } from './app/provisioning.service.js';
import { createProvisioningModule } from './provisioning.module.js';
import { registerHubMetrics } from './adapters/metrics/hub.metrics.js';
import { createRulesModule } from './rules.module.js';
import { createGroupsModule } from './groups.module.js';
import type { ThingGroupService } from './app/thing-group.service.js';
import type { DeviceAttributes } from './domain/groups/device-attributes.port.js';
import type { AppEndpoints } from './adapters/rules/hub-action.runner.js';
import { JobDocumentRenderer } from './app/job-document.renderer.js';
import type { ReleaseLinks } from './domain/jobs/release-links.port.js';

export interface IotHubContext extends ServiceContext {
  config: IotHubConfig;
  /** The device CA, owned by the device registry: the embedded CA in process, or `remoteCertificateAuthority`. */
  ca: HubCertificateAuthority;
  certificates: CertificateDirectory;
  things: ThingDirectory;
  /** The device registry, where fleet provisioning's RegisterThing creates things. */
  registrar: ThingRegistrar;
  /** Checks people's access tokens on MQTT over WebSocket; without it, WebSocket connections are refused. */
  resolveBearer?: BearerResolver;
  /**
   * How far behind the consumer of the telemetry change feed (the indexer) is, in ms: past a limit,
   * ingest holds its batches a while, so devices see slower PUBACKs rather than an index that
   * falls ever further behind.
   */
  downstreamLag?: () => number;
  /** Where the hub's ingest and connection metrics go; none, none kept. */
  metrics?: Metrics;
  /** Apps deployed on the platform, for topic rules' app actions; without it those actions fail with the reason. */
  apps?: AppEndpoints;
  /** Download links of releases, for job documents that name one; without it such placeholders are sent as they are. */
  releaseLinks?: ReleaseLinks;
  /** The analytics service's anomalies, for rollouts' `anomalyRate` health gates; without it such gates are refused. */
  anomalies?: AnomalyCounts;
  /**
   * Devices' metadata in the registry (the registry's service in process, or `remoteDeviceAttributes`),
   * for dynamic thing groups that query `attributes.*`; without it evaluating such a group answers 503.
   */
  deviceAttributes?: DeviceAttributes;
}

export interface IotHubService extends Service {
  ingest: IngestService;
  /** Device shadows, for other services that set desired state (alert rules' shadow actions). */
  shadows: ShadowService;
  /** Presence: each client's connectivity, for the device registry. */
  presence: PresenceService;
  /** AWS IoT-style policies: the broker's access decisions (`allows`) and change notifications (`onChange`). */
  policies: PolicyService;
  /** Fleet provisioning by claim; `claimCertificate` tells the broker whom a claim certificate belongs to. */
  provisioning: ProvisioningService;
  /** Topic rules: their definitions and the dispatcher that takes their actions. */
  rules: ReturnType<typeof createRulesModule>;
  /** Thing groups, static and dynamic; `resolveTargets(workspaceId, groupName)` names a group's things for a job. */
  groups: ThingGroupService;
  /** The MQTT port actually bound (differs from the config when it asks for port 0). */
  mqttPort(): number;
}

/** The built-in hub: TLS MQTT broker, device policy, telemetry rule and telemetry reads. */
export function createService(ctx: IotHubContext): IotHubService {
  const logger = ctx.logger.child({ module: 'iot-hub' });
  const db = openDatabase(join(ctx.dataDir, 'telemetry.db'), { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
  // Retention deletes from the telemetry tables, so its own table and index live in the same file.
  migrate(db, 'retention', RETENTION_MIGRATIONS);
  const retention = new RetentionService(new SqliteRetentionRepository(db), logger.child({ component: 'retention' }), {
    sweepSeconds: ctx.config.CITUS_RETENTION_SWEEP_SECONDS,
  });
  const store = createTelemetryStore({
    config: ctx.config,
    dataDir: ctx.dataDir,
    db,
    retentionDays: (workspaceId) => retention.setting(workspaceId).days,
    logger,
  });
  const telemetry = store.table;
  const ingest = new IngestService(telemetry, ctx.events, logger, { hold: ctx.downstreamLag && lagHold(ctx.downstreamLag, logger) });
  let boundPort = ctx.config.MQTT_TLS_PORT;
  let broker: HubBroker | undefined;
  const pubackLatency = ctx.metrics && registerHubMetrics(ctx.metrics, { ingest: ingest.stats, connections: () => broker?.connections, rules: () => rules.dispatcher });
  const setReady = ctx.health.register('mqtt');
  /** Sends through the broker once it listens; what the hub says before that reaches no one anyway. */
  const publisher: MessagePublisher = {
    publish: (message) => broker?.publish(message) ?? Promise.resolve(),
    hasAudience: (topic, qos) => broker?.hasAudience(topic, qos) ?? false,
  };
  const reserved = new ReservedTopicRouter();
  // Connectivity is advisory (the next connect or disconnect rewrites it), so it is not fsynced on
  // every change: 10,000 devices reconnecting must not queue 10,000 fsyncs.
  const presenceDb = openDatabase(join(ctx.dataDir, 'presence.db'), { module: 'presence', migrations: CONNECTIVITY_MIGRATIONS, synchronous: 'normal' });
  const presence = new PresenceService(new SqliteConnectivityRepository(presenceDb), publisher, logger);
  // Read here, written on a thread of its own: topic rules' shadow actions commit hundreds of times a second.
  const shadowFile = join(ctx.dataDir, 'shadows.db');
  const shadowDb = openDatabase(shadowFile, { module: 'shadows', migrations: SHADOW_MIGRATIONS });
  const shadowStore = new ThreadedShadowStore(shadowFile, new SqliteShadowRepository(shadowDb), logger);
  const shadows = new ShadowService(shadowStore, publisher, logger.child({ component: 'shadow' }));
  reserved.register(...shadowHandlers(shadows));
  // Runs after the broker has stopped (registered before it): queued shadow writes are committed first.
  ctx.shutdown.add('shadow store', async () => {
    await shadows.drain();
    await shadowStore.stop();
    shadowDb.close();
  });
  const provisioning = createProvisioningModule({
    ...ctx,
    publisher,
    logger,
    onClaimsRevoked: (certificateIds) => certificateIds.forEach((id) => broker?.disconnectCertificate(id)),
  });
  reserved.register(...provisioning.handlers);
  ctx.shutdown.add('provisioning store', () => provisioning.close());
  const policyDb = openDatabase(join(ctx.dataDir, 'policies.db'), { module: 'policies', migrations: POLICY_MIGRATIONS });
  const policies = new PolicyService(new SqlitePolicyRepository(policyDb), ctx.certificates, logger);
  // Devices and claim certificates answer to policy documents; people to their workspace.
  const people = workspaceUserAccess(ctx.things);
  const access: AccessDecider = hubAccess(ctx.things, people, policies);
  ctx.shutdown.add('policy store', () => {
    policyDb.close();
  });
  const rules = createRulesModule({ ...ctx, publisher, shadows, logger });
  const groups = createGroupsModule({ ...ctx, shadows: shadowStore, presence, logger });
  // A deleted thing leaves its static groups (dynamic ones no longer find it).
  ctx.events.on('thing.deleted', ({ workspaceId, thingName }) => {
    const memberships = groups.service.forgetThing(workspaceId, thingName);
    if (memberships > 0) logger.info({ thingName, memberships }, 'thing deleted: it left its thing groups');
  });
  const jobsDb = openDatabase(join(ctx.dataDir, 'jobs.db'), { module: 'jobs', migrations: JOB_MIGRATIONS });
  const jobRepository = new SqliteJobRepository(jobsDb);
  // Job documents are rendered for the thing they are sent to (its release download links).
  const jobsPublisher = new JobDocumentRenderer(ctx.releaseLinks, ctx.things, logger.child({ component: 'jobs' })).wrap(publisher);
  const jobs = new JobsService(jobRepository, jobsPublisher, logger.child({ component: 'jobs' }));
  reserved.register(...jobsHandlers(jobs, jobsPublisher, logger));
  // Rollouts tell a job's targets at its rate; health gates read the telemetry table.
  const rollouts = new RolloutService(
    jobRepository,
    jobs,
    { mean: telemetryMetrics(store.queries), ...(ctx.anomalies ? { anomalyRate: anomalyRates(ctx.anomalies, store.queries) } : {}) },
    logger.child({ component: 'rollouts' }),
  );
  // A deleted thing takes its open job executions (REMOVED), shadows and connectivity with it. Its
  // certificates were revoked just before, closing its sessions; their policy attachments stay.
  ctx.events.on('thing.deleted', async ({ workspaceId, thingName }) => {
    const shadowsGone = await shadows.forgetThing(workspaceId, thingName);
    presence.forgetThing(workspaceId, thingName);
    const executionsRemoved = await jobs.removeThing(workspaceId, thingName);
    logger.info({ thingName, shadowsGone, executionsRemoved }, 'thing deleted: its jobs, shadows and connectivity cleaned up');
  });
  // Runs after the broker has stopped (registered before it): the sweeper stops, queued job writes commit.
  ctx.shutdown.add('job store', () => {
    jobs.stop();
    jobs.drain();
    jobsDb.close();
  });

  // Registered before the broker (added in start), so it runs after it: the store closes once the
  // broker has stopped and the queued writes are committed.
  ctx.shutdown.add('telemetry store', async () => {
    await ingest.drain();
    await store.stop();
    db.close();
    presenceDb.close();
  });
  // Registered after the store, so it runs before it: no sweep chunk starts once the file closes.
  ctx.shutdown.add('retention sweeper', () => retention.stop());

  return {
    name: 'iot-hub',
    ingest,
    shadows,
    presence,
    policies,
    provisioning: provisioning.service,
    rules,
    groups: groups.service,
    mqttPort: () => boundPort,
    handleUpgrade: mqttOverWebSocket(() => broker),
    // For analytics and the device registry in processes of their own (mounted only with a service token).
    internalRoutes: internalRoutes(shadows, ingest, ctx.things, presence),
    apiRoutes: Router().use(
      telemetryRoutes(telemetry, ctx.things, ctx.events, ctx.authenticate),
      telemetryQueryRoutes(store.queries, ctx.things, ctx.authenticate),
      retentionRoutes(retention, ctx.authenticate),
      policyRoutes(policies, ctx.authenticate),
      rules.routes,
      groups.routes,
      shadowRoutes(shadows, ctx.things, ctx.authenticate),
      provisioning.routes,
      jobsRoutes(new JobControlService(jobRepository, jobs, rollouts, ctx.things, groups.service), ctx.authenticate),
    ),
    async start() {
      const hostnames = ['localhost', '127.0.0.1', ctx.config.CITUS_MQTT_ENDPOINT, ...ctx.config.CITUS_HUB_HOSTNAMES];
      const server = await serverCertificate(ctx.ca, [...new Set(hostnames)]);
      broker = new HubBroker({
        tls: { ...server, caPem: ctx.ca.certificatePem },
        certificates: ctx.certificates,
        things: ctx.things,
        access,
        ingest,
        rules: rules.engine,
        reserved,
        presence,
        people: ctx.resolveBearer,
        pubackLatency,
        logger,
      });
      ctx.events.on('certificate.revoked', ({ certificateId }) => broker?.disconnectCertificate(certificateId));
      await store.start();
      await shadowStore.start();
      boundPort = await broker.listen(ctx.config.MQTT_TLS_PORT, ctx.config.MQTT_HOST);
      ctx.shutdown.add('mqtt broker', () => broker?.close());
      jobs.start();
      rollouts.start();
      // Registered here, after every part of the platform was made, so it runs before any store
      // closes (the hub's, and analytics' beside it): no tick or health check reads a closed file.
      ctx.shutdown.add('rollouts', () => rollouts.stop());
      if (store.sweeps) retention.start();
      setReady(true);
      logger.info({ port: boundPort }, 'MQTT over TLS listening');
    },
  };
}

/** The hub's TLS key is made here and never leaves this process; the CA signs its CSR. */
async function serverCertificate(ca: HubCertificateAuthority, hostnames: string[]): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(hostnames[0] ?? 'localhost');
  const { certificatePem } = await ca.signServerCsr(csrPem, hostnames);
  return { certificatePem, privateKeyPem };
}
