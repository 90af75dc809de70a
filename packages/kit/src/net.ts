import { createServer } from 'node:net';

/**
 * A port free right now on `host`: the OS picks one for a listener that is closed at once. Free
 * when answered, not reserved: whoever uses it must cope with losing a race for it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port from the OS');
  return address.port;
}
