import { join } from 'node:path';
import { Router } from 'express';
import { AesGcmSecretCipher, loadOrCreateSecretKey, type ServiceContext } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { analyserRoutes } from './adapters/http/analyser.routes.js';
import { alertRuleRoutes } from './adapters/http/alert-rule.routes.js';
import { HttpWebhookSender } from './adapters/http/alert-webhook.sender.js';
import { secretRoutes } from './adapters/http/secret.routes.js';
import { hubDesiredStateWriter, type ShadowUpdater } from './adapters/hub/alert-shadow.writer.js';
import { hubAnalysisSink, type TelemetryIngest } from './adapters/hub/analyser-telemetry.sink.js';
import { ALERT_MIGRATIONS } from './adapters/sqlite/alert.migrations.js';
import { SqliteAlertRuleRepository } from './adapters/sqlite/alert-rule.repository.js';
import { SqliteAnalyserRepository } from './adapters/sqlite/analyser.repository.js';
import { SqliteSecretRepository } from './adapters/sqlite/secret.repository.js';
import { FaceDetectionAnalyser } from './adapters/vendor/analyser-face-detection.adapter.js';
import { PlateRecognitionAnalyser } from './adapters/vendor/analyser-plate-recognition.adapter.js';
import { AlertCooldowns } from './app/alert-cooldown.js';
import { AlertDispatcher, type AlertDeliveryOptions } from './app/alert-dispatcher.service.js';
import { AlertRuleService } from './app/alert-rule.service.js';
import { AnalyserConfigService } from './app/analyser-config.service.js';
import { AnalyserRunner } from './app/analyser-runner.service.js';
import { SecretService } from './app/secret.service.js';
import type { StoredTelemetry } from './domain/stored-telemetry.rules.js';

export interface AlertingDeps {
  /** The hub's shadow service, for rules' shadow actions; absent, those fail with a recorded error. */
  shadows?: ShadowUpdater;
  /** The hub's telemetry ingest, where analysis results are stored; absent, analysers' runs fail. */
  ingest?: TelemetryIngest;
  /** Webhook time-out, attempts and back-off; sensible defaults. */
  delivery?: Partial<AlertDeliveryOptions>;
}

export interface AlertingModule {
  /** Secrets, alert rules and analysers, to mount under `/api/v1`. */
  routes: Router;
  secrets: SecretService;
  rules: AlertRuleService;
  /**
   * Subscribes to detected anomalies, and to stored telemetry's in-process events when
   * `telemetryEvents` (the embedded mode); otherwise the caller hands stored telemetry to
   * `onStoredTelemetry`. Stops on the platform's shutdown, before the store closes.
   */
  start(options: { telemetryEvents: boolean }): void;
  /**
   * Checks stored telemetry of one thing against threshold rules and analysers; resolves once the
   * rules are read and the firings claimed (deliveries and vendor calls go on in the background).
   */
  onStoredTelemetry(batch: StoredTelemetry): Promise<void>;
  /** Unsubscribes, ends back-off waits and vendor calls, and waits for their outcomes to be recorded. */
  stop(): Promise<void>;
}

const DELIVERY_DEFAULTS: AlertDeliveryOptions = { webhookTimeoutMs: 5_000, webhookAttempts: 3, backoffMs: 1_000 };

/**
 * Alert rules (issue 8 point 6), third-party analysers (point 7) and the workspace secrets both
 * use, in `alerts.db` with the secrets' key in `secrets.key` beside it. The store closes on
 * shutdown; call `stop` before that.
 */
export function createAlertingModule(ctx: ServiceContext, deps: AlertingDeps = {}): AlertingModule {
  const logger = ctx.logger.child({ module: 'alerts' });
  const cipher = new AesGcmSecretCipher(loadOrCreateSecretKey(join(ctx.dataDir, 'secrets.key')));
  const db = openDatabase(join(ctx.dataDir, 'alerts.db'), { module: 'alerts', migrations: ALERT_MIGRATIONS });
  ctx.shutdown.add('alert store', () => void db.close());
  const secrets = new SecretService(new SqliteSecretRepository(db), cipher);
  const ruleRepository = new SqliteAlertRuleRepository(db, logger.child({ component: 'alert-rules' }));
  const cooldowns = new AlertCooldowns();
  const rules = new AlertRuleService(ruleRepository, (ruleId) => cooldowns.forgetRule(ruleId));
  const dispatcher = new AlertDispatcher(
    { rules: ruleRepository, secrets, webhooks: new HttpWebhookSender(), shadows: deps.shadows && hubDesiredStateWriter(deps.shadows), cooldowns },
    logger.child({ component: 'alert-dispatcher' }),
    { ...DELIVERY_DEFAULTS, ...deps.delivery },
  );
  const analyserRepository = new SqliteAnalyserRepository(db, logger.child({ component: 'analysers' }));
  const vendors = { 'plate-recognition': new PlateRecognitionAnalyser(), 'face-detection': new FaceDetectionAnalyser() };
  const runner = new AnalyserRunner(
    { analysers: analyserRepository, secrets, vendors, sink: deps.ingest && hubAnalysisSink(deps.ingest) },
    logger.child({ component: 'analysers' }),
  );

  const routes = Router();
  routes.use(['/secrets', '/alert-rules', '/analysers'], ctx.authenticate);
  routes.use(secretRoutes(secrets), alertRuleRoutes(rules), analyserRoutes(new AnalyserConfigService(analyserRepository)));

  const unsubscribe: Array<() => void> = [];
  const onStoredTelemetry = async (batch: StoredTelemetry): Promise<void> => {
    await Promise.all([dispatcher.onTelemetry(batch), runner.onTelemetry(batch)]);
  };
  const stop = async (): Promise<void> => {
    unsubscribe.splice(0).forEach((off) => off());
    await Promise.all([dispatcher.stop(), runner.stop()]);
  };
  return {
    routes,
    secrets,
    rules,
    onStoredTelemetry,
    start({ telemetryEvents }) {
      unsubscribe.push(ctx.events.on('anomaly.detected', (anomaly) => dispatcher.onAnomaly(anomaly)));
      if (telemetryEvents) unsubscribe.push(ctx.events.on('telemetry.stored', onStoredTelemetry));
      // Registered after the store's close, so it runs before it: outcomes are recorded while the file is open.
      ctx.shutdown.add('alert deliveries and analyser calls', stop);
    },
    stop,
  };
}
