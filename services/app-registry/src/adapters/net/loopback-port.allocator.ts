import { createServer } from 'node:net';
import type { HostPortAllocator } from '../../domain/deployment.model.js';

/**
 * Asks the OS for a free port on 127.0.0.1 (listen on port 0, read it, close). The port is free
 * when answered, not reserved: the deployment store refuses one another deployment holds.
 */
export class LoopbackPortAllocator implements HostPortAllocator {
  allocate(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('the OS gave no port'))));
      });
    });
  }
}
