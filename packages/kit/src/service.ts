import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler, Router } from 'express';
import type { Anomaly, TelemetryItem } from '@citus/contracts';
import type { HealthRegistry } from './health.js';
import type { Logger } from './logger.js';
import type { Shutdown } from './shutdown.js';

/** Events the services of one process tell each other about. */
export interface PlatformEvents {
  'certificate.revoked': { thingName: string; certificateId: string };
  /** A thing left the device registry (after its certificates were revoked): what belongs to it goes too. */
  'thing.deleted': { workspaceId: string; thingName: string };
  /** A device was declared, registered, updated or activated: what search shows of it may have changed. */
  'device.changed': { workspaceId: string; thingName: string; name: string; type: string | null; location: string | null };
  'telemetry.stored': { workspaceId: string; thingName: string; items: TelemetryItem[] };
  /** A series' detector scored a point at or above its threshold; emitted once the anomaly is stored. */
  'anomaly.detected': Anomaly;
  /** The process is shutting down: long-lived responses (event streams) should end now. */
  'platform.stopping': Record<string, never>;
}

/** A typed, in-process event bus; listeners' errors are contained and reported, never thrown at the emitter. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof PlatformEvents>(event: K, listener: (payload: PlatformEvents[K]) => unknown): () => void {
    const report = (error: unknown) => this.logger.error({ err: error, event }, 'event listener failed');
    const safe = (payload: PlatformEvents[K]) => {
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch(report);
      } catch (error) {
        report(error);
      }
    };
    this.emitter.on(event, safe);
    return () => this.emitter.off(event, safe);
  }

  emit<K extends keyof PlatformEvents>(event: K, payload: PlatformEvents[K]): void {
    this.emitter.emit(event, payload);
  }
}

/** What the process gives every service it mounts. */
export interface ServiceContext {
  logger: Logger;
  events: EventBus;
  health: HealthRegistry;
  shutdown: Shutdown;
  dataDir: string;
  /** Verifies people's bearer tokens and sets `req.access`. */
  authenticate: RequestHandler;
}

/** A mounted service: its API routes (under `/api/v1`), routes at the root, and its start-up work. */
export interface Service {
  name: string;
  apiRoutes?: Router;
  rootRoutes?: Router;
  /**
   * What other service processes ask of this one when they run apart (`/internal/v1`): mounted
   * only when the platform has a service token, behind `requireServiceToken`; never public.
   */
  internalRoutes?: Router;
  /** Takes an HTTP upgrade request (a WebSocket) it serves; false to leave it to another service. */
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  start?(): Promise<void>;
}
