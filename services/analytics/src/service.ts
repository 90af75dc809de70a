import { Router } from 'express';
import type { FeedSubscription, OpenedFeed } from '@citus/indexer';
import type { Service, ServiceContext } from '@citus/kit';
import { createAlertingModule, type AlertingDeps } from './alerting.module.js';
import { openTelemetryFeed } from './adapters/feed/change-feed.factory.js';
import { anomalyRoutes } from './adapters/http/anomaly.routes.js';
import { settingsRoutes } from './adapters/http/settings.routes.js';
import type { AnomalyDetectionService } from './app/anomaly-detection.service.js';
import { AnomalyQueryService } from './app/anomaly-query.service.js';
import type { AnalyticsConfig } from './config.js';
import { DeferredCheckpoints } from './app/deferred-checkpoints.js';
import { StateSaver } from './app/state-saver.js';
import { openDetection } from './detection.module.js';
import type { ThingDirectory } from './domain/detection-store.port.js';

/** The change feed consumer name: its checkpoints are apart from the indexer's. */
export const ANALYTICS_CONSUMER = 'analytics';

export interface AnalyticsContext extends ServiceContext {
  config: AnalyticsConfig;
  /** The device registry's answer to "whose thing is this": series settings of another workspace's thing are 404. */
  things: ThingDirectory;
  /** The hub's shadows and telemetry ingest, for alert rules' shadow actions and analysers' results. */
  alerting?: AlertingDeps;
}

export interface AnalyticsModule extends Service {
  detection: Pick<AnomalyDetectionService, 'stats'>;
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
  const { db, store, settings, detection } = openDetection({
    dataDir: ctx.dataDir,
    things: ctx.things,
    logger,
    maxLiveSeries: ctx.config.CITUS_ANALYTICS_LIVE_SERIES,
    maxSeriesPerThing: ctx.config.CITUS_ANALYTICS_MAX_SERIES_PER_THING,
    onAnomaly: (anomaly) => ctx.events.emit('anomaly.detected', anomaly),
  });
  // Registered first, so it runs last: after the feed has stopped writing.
  ctx.shutdown.add('analytics store', () => void db.close());
  const setReady = ctx.health.register('analytics');
  ctx.events.on('thing.deleted', ({ workspaceId, thingName }) => {
    detection.forgetThing(workspaceId, thingName);
    settings.forgetThing(workspaceId, thingName);
  });

  let subscription: FeedSubscription | undefined;
  const apiRoutes = Router();
  apiRoutes.use(settingsRoutes(settings, ctx.authenticate), anomalyRoutes(new AnomalyQueryService(store), ctx.events, ctx.authenticate));
  const alerting = createAlertingModule(ctx, ctx.alerting);
  apiRoutes.use(alerting.routes);
  return {
    name: 'analytics',
    detection,
    lagMs: () => subscription?.lagMs() ?? 0,
    apiRoutes,
    async start() {
      // First, so its stop is registered before the feed's and runs after it: anomalies of the last batch still alert.
      alerting.start();
      let checkpoints: DeferredCheckpoints | undefined;
      const opened: OpenedFeed = await openTelemetryFeed(ctx.config, ctx.dataDir, db, logger, (store) => (checkpoints = new DeferredCheckpoints(store)));
      const saver = new StateSaver(detection, checkpoints!, logger);
      subscription = opened.feed.start(ANALYTICS_CONSUMER, (batch) => detection.handle(batch.records));
      const running = subscription;
      const timer = setInterval(() => void saver.save(), ctx.config.CITUS_ANALYTICS_SAVE_SECONDS * 1000);
      timer.unref();
      ctx.shutdown.add('analytics', async () => {
        setReady(false);
        clearInterval(timer);
        await running.stop();
        // After the feed stopped: every state it fed is saved, then its position.
        await saver.save();
        await opened.close();
      });
      setReady(true);
      logger.info({ store: ctx.config.CITUS_TELEMETRY_STORE }, 'anomaly detection following the telemetry change feed');
    },
  };
}
