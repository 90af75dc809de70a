import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { repoPath } from '../../../../bench/src/support/paths.js';
import { startPlatformProcess, type PlatformProcess } from '../../../../bench/src/support/platform-process.js';
import { makeTempDir, type TempDir } from '../../../../bench/src/support/temp-dir.js';

const MAIN = repoPath('services/embedded/dist/main.js');

/**
 * The built platform (`services/embedded/dist/main.js`) as a child process, one at a time, on a
 * data dir that outlives each process: a test can SIGKILL one and start the next on what the dead
 * one left behind. Starting, ports and the `/healthz` wait are the bench's; the bench's exit hooks
 * also kill a child and remove the data dir if the test process dies first.
 */
export class PlatformChild {
  private running: PlatformProcess | undefined;

  private constructor(
    private readonly data: TempDir,
    readonly adminPassword: string,
  ) {}

  static create(): PlatformChild {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    return new PlatformChild(makeTempDir('citus-crash-'), `crash-${randomBytes(12).toString('hex')}`);
  }

  get dataDir(): string {
    return this.data.path;
  }

  /** The running process; throws between a kill and the next start. */
  get current(): PlatformProcess {
    if (!this.running) throw new Error('no platform process is running');
    return this.running;
  }

  /** Starts a process on the data dir and resolves once it answers `GET /healthz` with 200. */
  async start(): Promise<PlatformProcess> {
    if (this.running) throw new Error('a platform process already runs on this data dir');
    this.running = await startPlatformProcess({ data: { dataDir: this.data.path, adminPassword: this.adminPassword } });
    return this.running;
  }

  /**
   * SIGKILL, as a crash or the OOM killer would: no drain, no shutdown hook, nothing flushed.
   * Resolves once the process is gone; throws if it had already exited on its own.
   */
  async kill(): Promise<void> {
    const { child } = this.current;
    this.running = undefined;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the platform was not running when it was to be killed (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    const exited = once(child, 'exit');
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }

  /** Stops the running process, if any (SIGTERM, SIGKILL after a grace time), and removes the data dir. */
  async destroy(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
    this.data.remove();
  }
}
