import { Shutdown } from '../src/shutdown.js';
import { captureLogger } from './support/capture-logger.js';

describe('Shutdown', () => {
  it('closes in reverse order of registration, waiting for each', async () => {
    const shutdown = new Shutdown(captureLogger('silent').logger);
    const closed: string[] = [];
    shutdown.add('store', () => {
      closed.push('store');
    });
    shutdown.add('server', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      closed.push('server');
    });
    shutdown.add('broker', () => {
      closed.push('broker');
    });
    await shutdown.run('test');
    expect(closed).toEqual(['broker', 'server', 'store']);
  });

  it('runs once, however often it is called', async () => {
    const shutdown = new Shutdown(captureLogger('silent').logger);
    let calls = 0;
    shutdown.add('store', () => {
      calls++;
    });
    const first = shutdown.run('SIGTERM');
    const second = shutdown.run('SIGINT');
    expect(second).toBe(first);
    await Promise.all([first, second, shutdown.run('again')]);
    expect(calls).toBe(1);
  });

  it('goes on after a failing closer, logs it and rejects at the end', async () => {
    const log = captureLogger('debug');
    const shutdown = new Shutdown(log.logger);
    const closed: string[] = [];
    shutdown.add('store', () => {
      closed.push('store');
    });
    shutdown.add('broken', async () => {
      throw new Error('socket already gone');
    });
    shutdown.add('server', () => {
      closed.push('server');
    });
    await expect(shutdown.run('test')).rejects.toThrow('shutdown incomplete');
    expect(closed).toEqual(['server', 'store']);
    expect(log.lines()).toContainEqual(expect.objectContaining({ part: 'broken', msg: 'close failed' }));
  });
});
