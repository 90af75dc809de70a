import { join } from 'node:path';
import type { Router, RequestHandler } from 'express';
import type { Logger } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { ProvisioningService } from './app/provisioning.service.js';
import type { ReservedTopicHandler } from './app/reserved-topic.router.js';
import { provisioningRoutes } from './adapters/http/provisioning.routes.js';
import { provisioningHandlers } from './adapters/mqtt/provisioning.handlers.js';
import { HubProvisioningCa } from './adapters/pki/provisioning-ca.adapter.js';
import { PROVISIONING_MIGRATIONS, SqliteProvisioningRepository } from './adapters/sqlite/provisioning.repository.js';
import type { HubCertificateAuthority } from './domain/hub-ca.port.js';
import type { MessagePublisher } from './domain/message-publisher.port.js';
import type { ThingRegistrar } from './domain/provisioning/thing-registrar.port.js';

export interface ProvisioningModuleOptions {
  dataDir: string;
  ca: HubCertificateAuthority;
  registrar: ThingRegistrar;
  publisher: MessagePublisher;
  authenticate: RequestHandler;
  logger: Logger;
  /** Told the ids of claim certificates just revoked, so their live sessions can be closed. */
  onClaimsRevoked?: (certificateIds: string[]) => void;
  now?: () => Date;
}

export interface ProvisioningModule {
  service: ProvisioningService;
  handlers: ReservedTopicHandler[];
  routes: Router;
  close(): void;
}

/** Fleet provisioning by claim, wired: its store (`provisioning.db`), MQTT handlers and REST routes. */
export function createProvisioningModule(options: ProvisioningModuleOptions): ProvisioningModule {
  const logger = options.logger.child({ module: 'provisioning' });
  const db = openDatabase(join(options.dataDir, 'provisioning.db'), { module: 'provisioning', migrations: PROVISIONING_MIGRATIONS });
  const ca = new HubProvisioningCa(options.ca);
  const service = new ProvisioningService(new SqliteProvisioningRepository(db), ca, options.registrar, { logger, now: options.now });
  const onClaimsRevoked = options.onClaimsRevoked ?? (() => undefined);
  return {
    service,
    handlers: provisioningHandlers(service, options.publisher, logger),
    routes: provisioningRoutes(service, options.authenticate, onClaimsRevoked),
    close: () => db.close(),
  };
}
