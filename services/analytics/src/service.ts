import { Router } from 'express';
import type { Service, ServiceContext } from '@citus/kit';
import { createAlertingModule, type AlertingDeps } from './alerting.module.js';
import type { DevicePlaneOptions } from './adapters/device-plane/device-plane.client.js';
import { remoteDevicePlane } from './adapters/device-plane/remote-device-plane.js';
import { anomalyRoutes } from './adapters/http/anomaly.routes.js';
import { settingsRoutes } from './adapters/http/settings.routes.js';
import type { AnomalyDetectionService } from './app/anomaly-detection.service.js';
import { AnomalyQueryService } from './app/anomaly-query.service.js';
import type { AnalyticsConfig } from './config.js';
import { DetectionWorkerClient } from './adapters/worker/detection-worker.client.js';
import { openDetection } from './detection.module.js';
import { runDetection, type RunningDetection } from './detection.runner.js';
import type { StoredMessage } from './domain/telemetry-points.rules.js';
import type { ThingDirectory } from './domain/detection-store.port.js';
import { storedTelemetryOf } from './domain/stored-telemetry.rules.js';

export interface AnalyticsContext extends ServiceContext {
  config: AnalyticsConfig;
  /**
   * The device registry's answer to "whose thing is this": series settings of another workspace's
   * thing are 404. In the registry's process; otherwise `devicePlane` answers it.
   */
  things?: ThingDirectory;
  /** The hub's shadows and telemetry ingest, for alert rules' shadow actions and analysers' results. */
  alerting?: AlertingDeps;
  /**
   * Analytics in a process of its own (scale-out only): the device plane's process, asked over its
   * internal API for what `things` and `alerting` would give in process (those still win when given).
   * `thing.deleted` is an in-process event: apart, a deleted thing's series settings and detector
   * states stay (keyed by workspace and thing, they count again only if the name comes back there).
   */
  devicePlane?: DevicePlaneOptions;
}

export interface AnalyticsModule extends Service {
  detection: Pick<AnomalyDetectionService, 'stats'>;
  /** Anomalies found per thing, for rollouts' health gates (`signal: 'anomalyRate'`). */
  anomalies: { count(workspaceId: string, thingName: string, range: { from: number; to: number; field: string }): number };
  /** Milliseconds the detectors trail the telemetry store; 0 when caught up or not started. */
  lagMs(): number;
}

/**
 * Streaming anomaly detection (issue 8 point 1): the telemetry change feed -> one detector per
 * numeric series -> anomalies in `analytics.db`, announced as `anomaly.detected` once stored, and
 * served at `/api/v1/anomalies`. `start` must run after the hub's: the hub creates what the feed reads.
 */
export function createService(ctx: AnalyticsContext): AnalyticsModule {
  const logger = ctx.logger.child({ module: 'analytics' });
  const { things, alertingDeps } = devicePlaneOf(ctx);
  const worker = isEmbedded(ctx.config)
    ? new DetectionWorkerClient(
        { dataDir: ctx.dataDir, config: ctx.config, logLevel: ctx.logger.level },
        logger,
        (anomaly) => ctx.events.emit('anomaly.detected', anomaly),
        () => setReady(false),
      )
    : undefined;
  // Opened on this thread first, so its migrations have run before the detection thread opens it too.
  const { db, store, settings, detection } = openDetection({
    dataDir: ctx.dataDir,
    things,
    logger,
    maxLiveSeries: ctx.config.CITUS_ANALYTICS_LIVE_SERIES,
    maxSeriesPerThing: ctx.config.CITUS_ANALYTICS_MAX_SERIES_PER_THING,
    onAnomaly: (anomaly) => ctx.events.emit('anomaly.detected', anomaly),
  });
  // Registered first, so it runs last: after the feed has stopped writing.
  ctx.shutdown.add('analytics store', () => void db.close());
  const setReady = ctx.health.register('analytics');
  if (worker) settings.onChange(() => worker.settingsChanged());
  ctx.events.on('thing.deleted', ({ workspaceId, thingName }) => {
    settings.forgetThing(workspaceId, thingName);
    if (worker) worker.thingDeleted(workspaceId, thingName);
    else detection.forgetThing(workspaceId, thingName);
  });

  let running: RunningDetection | undefined;
  const apiRoutes = Router();
  apiRoutes.use(settingsRoutes(settings, ctx.authenticate), anomalyRoutes(new AnomalyQueryService(store), ctx.events, ctx.authenticate));
  const alerting = createAlertingModule(ctx, alertingDeps);
  // Scale-out: threshold rules and analysers follow the change feed with detection (at least once,
  // and whether or not the hub runs in this process); embedded: the hub's in-process events.
  const alertOnBatch = async (messages: readonly StoredMessage[]): Promise<void> => {
    for (const batch of storedTelemetryOf(messages)) await alerting.onStoredTelemetry(batch);
  };
  apiRoutes.use(alerting.routes);
  return {
    name: 'analytics',
    detection: worker ?? detection,
    anomalies: { count: (workspaceId, thingName, range) => store.countAnomalies(workspaceId, thingName, range) },
    lagMs: () => (worker ? worker.lagMs() : (running?.lagMs() ?? 0)),
    apiRoutes,
    async start() {
      // First, so its stop is registered before the feed's and runs after it: anomalies of the last batch still alert.
      alerting.start({ telemetryEvents: worker !== undefined });
      if (worker) await worker.start();
      else running = await runDetection({ config: ctx.config, dataDir: ctx.dataDir, db, detection, logger, alsoHandle: alertOnBatch });
      const stoppable = worker ?? running!;
      ctx.shutdown.add('analytics', async () => {
        setReady(false);
        await stoppable.stop();
      });
      setReady(true);
      logger.info({ store: ctx.config.CITUS_TELEMETRY_STORE, thread: worker ? 'worker' : 'main' }, 'anomaly detection following the telemetry change feed');
    },
  };
}

/**
 * What the device plane gives: in process (`things`, `alerting`), or over its internal API when
 * analytics runs apart, which needs the scale-out store (the embedded telemetry is a file of the
 * hub's data dir).
 */
function devicePlaneOf(ctx: AnalyticsContext): { things: ThingDirectory; alertingDeps: AlertingDeps | undefined } {
  if (!ctx.devicePlane) {
    if (!ctx.things) throw new Error('analytics needs the device registry: `things` in its process, or `devicePlane` apart from it');
    return { things: ctx.things, alertingDeps: ctx.alerting };
  }
  if (isEmbedded(ctx.config)) throw new Error('analytics runs apart from the device plane only with CITUS_TELEMETRY_STORE=dynamodb');
  const remote = remoteDevicePlane(ctx.devicePlane);
  return {
    things: ctx.things ?? remote.things,
    alertingDeps: { ...ctx.alerting, shadows: ctx.alerting?.shadows ?? remote.shadows, ingest: ctx.alerting?.ingest ?? remote.ingest },
  };
}

/** Embedded (telemetry in SQLite): detection runs on a thread of its own, off the broker's. */
function isEmbedded(config: AnalyticsConfig): boolean {
  return config.CITUS_TELEMETRY_STORE === 'sqlite';
}
