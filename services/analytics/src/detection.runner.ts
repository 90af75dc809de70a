import type { Logger } from '@citus/kit';
import type { SqliteDatabase } from '@citus/sqlite';
import { openTelemetryFeed } from './adapters/feed/change-feed.factory.js';
import type { AnomalyDetectionService } from './app/anomaly-detection.service.js';
import type { StoredMessage } from './domain/telemetry-points.rules.js';
import { DeferredCheckpoints } from './app/deferred-checkpoints.js';
import { StateSaver } from './app/state-saver.js';
import type { AnalyticsConfig } from './config.js';

/** The change feed consumer name: its checkpoints are apart from the indexer's. */
export const ANALYTICS_CONSUMER = 'analytics';

export interface RunningDetection {
  /** Milliseconds the detectors trail the telemetry store; 0 when caught up. */
  lagMs(): number;
  /** Stops the feed after the batch in hand, saves every detector state, then the feed's position. */
  stop(): Promise<void>;
}

/**
 * The detection loop, wherever it runs (a worker thread in embedded mode, the main thread
 * otherwise): the telemetry change feed into `detection`, detector states saved every
 * `CITUS_ANALYTICS_SAVE_SECONDS`, the feed's saved position held back until they are.
 */
export async function runDetection(options: {
  config: AnalyticsConfig;
  dataDir: string;
  db: SqliteDatabase;
  detection: AnomalyDetectionService;
  logger: Logger;
  /**
   * Also given every batch, after detection and before the feed may save its position: a
   * rejection retries the batch (detection skips the points it has seen), so what it does happens
   * at least once.
   */
  alsoHandle?: (messages: readonly StoredMessage[]) => Promise<void>;
}): Promise<RunningDetection> {
  const { config, detection, logger, alsoHandle } = options;
  let checkpoints: DeferredCheckpoints | undefined;
  const opened = await openTelemetryFeed(config, options.dataDir, options.db, logger, (store) => (checkpoints = new DeferredCheckpoints(store)));
  const saver = new StateSaver(detection, checkpoints!, logger);
  const subscription = opened.feed.start(ANALYTICS_CONSUMER, async (batch) => {
    await detection.handle(batch.records);
    await alsoHandle?.(batch.records);
  });
  const timer = setInterval(() => void saver.save(), config.CITUS_ANALYTICS_SAVE_SECONDS * 1000);
  timer.unref();
  return {
    lagMs: () => subscription.lagMs(),
    async stop() {
      clearInterval(timer);
      await subscription.stop();
      // After the feed stopped: every state it fed is saved, then its position.
      await saver.save();
      await opened.close();
    },
  };
}
