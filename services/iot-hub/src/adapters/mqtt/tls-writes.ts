import type { TLSSocket } from 'node:tls';

/**
 * aedes writes a PUBACK and the reply that follows it as separate writes, each its own TLS record
 * and system call. Corking the socket until the event loop turns once sends what one turn wrote
 * as one record (`pnpm bench hub` profiled a quarter of the hub's time in `writev`).
 */
export function coalesceWrites(socket: TLSSocket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = ((...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write(...args);
  }) as typeof socket.write;
}
