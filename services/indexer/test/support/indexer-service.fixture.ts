import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import type { Client } from '@elastic/elasticsearch';
import type { SearchResults } from '@citus/contracts';
import { createHttpApp, createLogger, EventBus, finishHttpApp, HealthRegistry, parseConfig, Shutdown } from '@citus/kit';
import { IndexerConfig } from '../../src/config.js';
import { createService, type DeviceSource, type IndexerModule } from '../../src/service.js';

export const SEARCH_WORKSPACE = 'ws_scaleout';

/** Signs every request in as a user of `SEARCH_WORKSPACE`: the portal's part, not under test here. */
const asWorkspaceUser: RequestHandler = (req, _res, next) => {
  req.access = { userId: 'usr_1', username: 'alice', platformAdmin: false, workspace: { id: SEARCH_WORKSPACE, slug: 'home', role: 'user' } };
  next();
};

export interface RunningIndexer {
  module: IndexerModule;
  events: EventBus;
  health: HealthRegistry;
  dataDir: string;
  /** `GET /api/v1/search` through a real HTTP server: the status and the body. */
  search(query: Record<string, string>): Promise<{ status: number; body: SearchResults & { error?: { code: string } } }>;
  /** Runs the shutdown, as the platform does on SIGTERM. */
  stop(): Promise<void>;
}

export interface IndexerOptions {
  env: Record<string, string>;
  /** A data directory to reuse (a restart); a fresh one otherwise, removed by `stop`. */
  dataDir?: string;
  searchClient?: Client;
  deviceSource?: DeviceSource;
}

/**
 * The indexer service as the platform mounts it: parsed config, context, its API routes behind a
 * real HTTP server, started. The test owns what the hub would do (write telemetry, create tables).
 */
export async function startIndexer(options: IndexerOptions): Promise<RunningIndexer> {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'citus-indexer-service-'));
  const events = new EventBus(logger);
  const health = new HealthRegistry();
  const shutdown = new Shutdown(logger);
  const config = parseConfig(IndexerConfig, options.env);
  const module = createService({
    logger,
    events,
    health,
    shutdown,
    dataDir,
    authenticate: asWorkspaceUser,
    config,
    ...(options.searchClient ? { searchClient: options.searchClient } : {}),
    ...(options.deviceSource ? { deviceSource: options.deviceSource } : {}),
  });
  const app = createHttpApp({ logger });
  if (module.apiRoutes) app.use('/api/v1', module.apiRoutes);
  finishHttpApp(app);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  shutdown.add('http', () => closeServer(server));
  try {
    await module.start?.();
  } catch (error) {
    await shutdown.run('start failed');
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    module,
    events,
    health,
    dataDir,
    async search(query) {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/search?${new URLSearchParams(query).toString()}`);
      return { status: response.status, body: (await response.json()) as SearchResults & { error?: { code: string } } };
    },
    async stop() {
      await shutdown.run('test');
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
