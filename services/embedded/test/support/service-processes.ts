import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { startServices, type ServiceProcess } from '../../src/index.js';

export interface StartedProcess {
  process: ServiceProcess;
  baseUrl: string;
  dataDir: string;
}

/**
 * Processes of one platform, as compose runs them, on free loopback ports: each starts on a fresh
 * temp data dir (or the one given, to start a process again on its data); `stopAll` stops them
 * newest first and removes their dirs.
 */
export class ServiceProcesses {
  private readonly started: StartedProcess[] = [];

  async start(env: Record<string, string>, dataDir = mkdtempSync(join(tmpdir(), 'citus-split-'))): Promise<StartedProcess> {
    const process = await startServices(
      { PORT: '0', HOST: '127.0.0.1', MQTT_TLS_PORT: '0', MQTT_HOST: '127.0.0.1', CITUS_DATA_DIR: dataDir, ...env },
      createLogger({ level: 'silent' }),
    );
    const one = { process, baseUrl: `http://127.0.0.1:${process.httpPort}`, dataDir };
    this.started.push(one);
    return one;
  }

  /** Stops one process and keeps its data dir, to start another on it. */
  async stop(one: StartedProcess): Promise<void> {
    this.started.splice(this.started.indexOf(one), 1);
    await one.process.stop();
  }

  async stopAll(): Promise<void> {
    for (const one of this.started.splice(0).reverse()) {
      await one.process.stop();
      rmSync(one.dataDir, { recursive: true, force: true });
    }
  }
}
