import type { Logger } from './logger.js';

export type Closer = () => Promise<void> | void;

/**
 * Runs closers in reverse order of registration (last opened, first closed) on SIGTERM/SIGINT or
 * when called, once. Servers stop accepting first; stores close last, after in-flight writes.
 */
export class Shutdown {
  private readonly closers: Array<{ name: string; close: Closer }> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  run(reason: string): Promise<void> {
    this.running ??= this.closeAll(reason);
    return this.running;
  }

  listen(exit: (code: number) => void = (code) => process.exit(code)): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void this.run(signal).then(
          () => exit(0),
          () => exit(1),
        );
      });
    }
  }

  private async closeAll(reason: string): Promise<void> {
    this.logger.info({ reason }, 'shutting down');
    let failed = false;
    for (const { name, close } of [...this.closers].reverse()) {
      try {
        await close();
        this.logger.debug({ part: name }, 'closed');
      } catch (error) {
        failed = true;
        this.logger.error({ err: error, part: name }, 'close failed');
      }
    }
    this.logger.info('shutdown complete');
    if (failed) throw new Error('shutdown incomplete');
  }
}
