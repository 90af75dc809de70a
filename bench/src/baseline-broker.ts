// The ingest benchmark's baseline: the same aedes 1.x over TLS as the hub, with no client
// certificates, no auth hooks and no store. Started as a child with a throwaway CA dir in
// BENCH_CA_DIR; reports `{port, caPem}` over IPC once it listens.
import { createServer } from 'node:tls';
import { Aedes } from 'aedes';
import { EmbeddedCertificateAuthority } from '@citus/pki';

const caDir = process.env.BENCH_CA_DIR;
if (!caDir) throw new Error('BENCH_CA_DIR is not set: this script is started by `pnpm bench ingest`');
const ca = await EmbeddedCertificateAuthority.loadOrCreate(caDir);
const { certificatePem, privateKeyPem } = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
const broker = await Aedes.createBroker();
const server = createServer({ key: privateKeyPem, cert: certificatePem, minVersion: 'TLSv1.2' }, broker.handle);
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.close();
  broker.close(() => process.exit(0));
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The benchmark went away without stopping us: do not linger.
process.once('disconnect', stop);

const address = server.address();
process.send?.({ port: typeof address === 'object' && address ? address.port : 0, caPem: ca.certificatePem });
