import { createServer } from 'node:net';
import { freePort } from '@citus/kit';
import type { HostPortAllocator } from '../../domain/deployment.model.js';

/** A free port on 127.0.0.1 from the OS; not reserved: the deployment store refuses one another deployment holds. */
export class LoopbackPortAllocator implements HostPortAllocator {
  allocate(): Promise<number> {
    return freePort('127.0.0.1');
  }

  /** Tried by listening on it for a moment: the one answer that holds for any other process. */
  isFree(port: number): Promise<boolean> {
    const server = createServer();
    return new Promise((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  }
}
