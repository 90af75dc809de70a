import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { EmbeddedCertificateAuthority, createKeyAndCsr } from '@citus/pki';
import type { ActivationResponse, CreatedTopicRule, DeclaredDevice } from '@citus/contracts';
import { startPlatformProcess, type PlatformProcess } from '../../../bench/src/support/platform-process.js';
import { Api } from './support/test-platform.js';

/**
 * A topic rule's http action against a real HTTPS endpoint on 127.0.0.1, whose certificate comes
 * from a private CA the platform is told to trust the way Node.js is (`NODE_EXTRA_CA_CERTS`): so
 * the platform runs as its own process, the built `services/embedded/dist/main.js`.
 */
describe('a topic rule\'s http action over HTTPS', () => {
  let dir: string;
  let server: Server;
  let platform: PlatformProcess;
  let device: MqttClient | undefined;
  const received: Array<{ body: string; signature: string }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-rules-https-'));
    const ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dir, 'ca'), 'Webhook test CA');
    const tls = await ca.issueServerCertificate(['127.0.0.1', 'localhost']);
    writeFileSync(join(dir, 'webhook-ca.pem'), ca.certificatePem);
    server = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-citus-signature']) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    platform = await startPlatformProcess({ env: { NODE_EXTRA_CA_CERTS: join(dir, 'webhook-ca.pem'), CITUS_RULE_HTTP_PRIVATE: 'allow' } });
  }, 90_000);
  afterAll(async () => {
    await device?.endAsync();
    await platform?.stop();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('POSTs the rule\'s result, signed with the secret shown at creation', async () => {
    const admin = await Api.login(platform.baseUrl, 'admin', platform.adminPassword);
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const created = await admin.post<CreatedTopicRule>('/api/v1/rules', { name: 'to_https', sql: "SELECT temperature * 2 AS doubled FROM 'telemetry/+'", actions: [{ http: { url } }] });
    expect(created.status).toBe(201);

    const declared = (await admin.post<DeclaredDevice>('/api/v1/devices', { name: 'Oven' })).body;
    const { privateKeyPem, csrPem } = await createKeyAndCsr(declared.thingName);
    const activation = (await new Api(platform.baseUrl).post<ActivationResponse>(`/api/v1/devices/${declared.id}/activation`, { activationCode: declared.activationCode, csr: csrPem })).body;
    device = await connectAsync(`mqtts://127.0.0.1:${platform.mqttPort}`, {
      clientId: declared.thingName,
      key: privateKeyPem,
      cert: activation.certificatePem,
      ca: activation.caCertificatePem,
      reconnectPeriod: 0,
    });
    await device.publishAsync(`telemetry/${declared.thingName}`, JSON.stringify({ temperature: 21.5 }), { qos: 1 });

    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(received).toHaveLength(1);
    const [{ body, signature }] = received as [{ body: string; signature: string }];
    expect(JSON.parse(body)).toEqual({ doubled: 43 });
    const [t, v1] = signature.split(',').map((part) => part.split('=')[1]);
    expect(Number(t)).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(v1).toBe(createHmac('sha256', created.body.signingSecret).update(`${t}.${body}`).digest('hex'));
  });
});
