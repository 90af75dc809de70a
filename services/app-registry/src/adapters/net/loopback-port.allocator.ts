import { freePort } from '@citus/kit';
import type { HostPortAllocator } from '../../domain/deployment.model.js';

/** A free port on 127.0.0.1 from the OS; not reserved: the deployment store refuses one another deployment holds. */
export class LoopbackPortAllocator implements HostPortAllocator {
  allocate(): Promise<number> {
    return freePort('127.0.0.1');
  }
}
