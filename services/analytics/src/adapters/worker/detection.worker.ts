import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '@citus/kit';
import { openDetection } from '../../detection.module.js';
import { runDetection } from '../../detection.runner.js';
import type { DetectionWorkerData, FromDetection, ToDetection } from './detection-worker.protocol.js';

/**
 * The detection thread of the embedded platform: the change feed, the detectors and their saved
 * states, off the thread that runs the MQTT broker (detection costs several µs a point, which the
 * broker would otherwise lose from ingest). The platform's thread keeps the HTTP routes, the
 * settings (telling this thread when they change) and the `anomaly.detected` event.
 */
const DETECTION_NICE = 10;
const port = parentPort;
if (!port) throw new Error('detection.worker.ts runs as a worker thread');
const data = workerData as DetectionWorkerData;
const post = (message: FromDetection) => port.postMessage(message);
const logger = createLogger({ level: data.logLevel }).child({ module: 'analytics', thread: 'detection' });

// Linux gives each thread its own nice value (setpriority(2) with 0 is the calling thread): the
// broker's thread comes first when the cores are busy, and detection catches up when they are
// not, trailing the telemetry store meanwhile (its lag is in the metrics). Best effort.
try {
  setPriority(DETECTION_NICE);
} catch (error) {
  logger.debug({ err: error }, 'could not lower the detection thread priority');
}

const module = openDetection({
  dataDir: data.dataDir,
  // Only the settings routes ask whose thing a series is, and they run on the platform's thread.
  things: { workspaceOfThing: () => undefined },
  logger,
  maxLiveSeries: data.config.CITUS_ANALYTICS_LIVE_SERIES,
  maxSeriesPerThing: data.config.CITUS_ANALYTICS_MAX_SERIES_PER_THING,
  onAnomaly: (anomaly) => post({ type: 'anomaly', anomaly }),
});
const running = await runDetection({ config: data.config, dataDir: data.dataDir, db: module.db, detection: module.detection, logger });
const reportStats = () => post({ type: 'stats', lagMs: running.lagMs(), stats: module.detection.stats() });
const statsTimer = setInterval(reportStats, 200);

port.on('message', (message: ToDetection) => {
  switch (message.type) {
    case 'settings.changed':
      module.settings.reload();
      return;
    case 'thing.deleted':
      // The platform's thread has deleted its settings; the series' states go here.
      module.detection.forgetThing(message.workspaceId, message.thingName);
      module.settings.reload();
      return;
    case 'stop':
      clearInterval(statsTimer);
      void running
        .stop()
        .catch((error: unknown) => logger.error({ err: error }, 'stopping the detection thread failed'))
        .finally(() => {
          reportStats();
          module.db.close();
          post({ type: 'stopped' });
          port.close();
        });
      return;
  }
});
post({ type: 'ready' });
