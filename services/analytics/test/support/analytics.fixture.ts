import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { ROLE_RANK, type Anomaly, type Role } from '@citus/contracts';
import { createHttpApp, createLogger, EventBus, finishHttpApp, HealthRegistry, parseConfig, Shutdown } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { AnalyticsConfig } from '../../src/config.js';
import { createService, type AnalyticsModule } from '../../src/service.js';
// The hub's real writer, so the feed reads exactly what ingest commits (test-only cross-service import).
import { SqliteTelemetryRepository, TELEMETRY_MIGRATIONS } from '../../../iot-hub/src/adapters/sqlite/telemetry.repository.js';

export const WORKSPACE = 'ws_home';
export const OTHER_WORKSPACE = 'ws_other';

/**
 * Signs every request in as a member of the workspace the `x-test-workspace` header names (default
 * `WORKSPACE`) with the role `x-test-role` names (default admin): the portal's part, not under test here.
 */
const asTestMember: RequestHandler = (req, _res, next) => {
  const workspace = String(req.headers['x-test-workspace'] ?? WORKSPACE);
  const role = String(req.headers['x-test-role'] ?? 'admin') as Role;
  if (!(role in ROLE_RANK)) throw new Error(`no role ${role}`);
  req.access = { userId: 'usr_1', username: 'alice', platformAdmin: false, workspace: { id: workspace, slug: workspace, role } };
  next();
};

/** The hub's side of `telemetry.db`: its real writer, in the data dir the service reads. */
export class TelemetryWriter {
  private readonly db: SqliteDatabase;
  private readonly repository: SqliteTelemetryRepository;

  constructor(dataDir: string) {
    this.db = openDatabase(join(dataDir, 'telemetry.db'), { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
    this.repository = new SqliteTelemetryRepository(this.db);
  }

  /** Stores messages of one thing on one topic, each at its own epoch, in one transaction. */
  write(thingName: string, messages: Array<{ epoch: number; payload: unknown }>, options: { workspaceId?: string; stream?: string } = {}): void {
    const topic = options.stream ? `telemetry/${thingName}/${options.stream}` : `telemetry/${thingName}`;
    this.repository.write(
      messages.map(({ epoch, payload }) => {
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        return { record: { topic, thingName, workspaceId: options.workspaceId ?? WORKSPACE, deviceEpoch: epoch, receivedAt: Date.now(), payload: text } };
      }),
    );
  }

  close(): void {
    this.db.close();
  }
}

export interface RunningAnalytics {
  module: AnalyticsModule;
  events: EventBus;
  health: HealthRegistry;
  dataDir: string;
  /** The API's root: `http://127.0.0.1:{port}/api/v1`. */
  apiUrl: string;
  /** Every `anomaly.detected` event since start. */
  announced: Anomaly[];
  request<T = unknown>(method: string, path: string, options?: { body?: unknown; role?: Role; workspace?: string }): Promise<{ status: number; body: T }>;
  /** Runs the shutdown, as the platform does on SIGTERM; keeps the data dir. */
  stop(): Promise<void>;
}

/** Things and their workspaces, as the device registry would answer. */
export const THINGS = new Map<string, string>([
  ['pump-1', WORKSPACE],
  ['pump-2', WORKSPACE],
  ['boiler-9', OTHER_WORKSPACE],
]);

/**
 * The analytics service as the platform mounts it: parsed config, context, its API routes behind
 * a real HTTP server, started on `dataDir` (whose `telemetry.db` the test writes as the hub would).
 */
export async function startAnalytics(dataDir: string, env: Record<string, string> = {}): Promise<RunningAnalytics> {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const events = new EventBus(logger);
  const health = new HealthRegistry();
  const shutdown = new Shutdown(logger);
  const module = createService({
    logger,
    events,
    health,
    shutdown,
    dataDir,
    authenticate: asTestMember,
    config: parseConfig(AnalyticsConfig, env),
    things: { workspaceOfThing: (thingName) => THINGS.get(thingName) },
  });
  const announced: Anomaly[] = [];
  events.on('anomaly.detected', (anomaly) => announced.push(anomaly));
  const app = createHttpApp({ logger });
  if (module.apiRoutes) app.use('/api/v1', module.apiRoutes);
  finishHttpApp(app);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  shutdown.add('http', () => closeServer(server));
  await module.start?.();
  const { port } = server.address() as AddressInfo;
  return {
    module,
    events,
    health,
    dataDir,
    apiUrl: `http://127.0.0.1:${port}/api/v1`,
    announced,
    async request<T>(method: string, path: string, options: { body?: unknown; role?: Role; workspace?: string } = {}) {
      const headers: Record<string, string> = {};
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.role) headers['x-test-role'] = options.role;
      if (options.workspace) headers['x-test-workspace'] = options.workspace;
      const response = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    stop: () => shutdown.run('test'),
  };
}

export const tempDataDir = (): string => mkdtempSync(join(tmpdir(), 'citus-analytics-'));
export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Polls until `condition` holds. The detection thread runs at a lower priority (nice 10), so on a
 * machine busy with other work (a CI tier building images beside the tests) it may lag for seconds:
 * the default allows for that, within the test timeout.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A calm series with a spike: 20 +- 0.5 (a sine, so the test is the same every run), 100 at `spikeAt`. */
export function calmWithSpike(count: number, spikeAt: number, t0: number): Array<{ epoch: number; payload: { temperature: number } }> {
  return Array.from({ length: count }, (_, i) => ({ epoch: t0 + i * 1_000, payload: { temperature: i === spikeAt ? 100 : 20 + 0.5 * Math.sin(i) } }));
}
