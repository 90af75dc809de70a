import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { SERVICE_TOKEN_HEADER, type Device, type ErrorEnvelope, type Me } from '@citus/contracts';
import { createLogger, EventBus, HealthRegistry, parseConfig, Shutdown, type AppError } from '@citus/kit';
import { createKeyAndCsr, CsrError, EmbeddedCertificateAuthority } from '@citus/pki';
import { remoteCertificateAuthority, remoteThingRegistrar } from '../src/adapters/http/device-registry.client.js';
import { HubProvisioningCa } from '../src/adapters/pki/provisioning-ca.adapter.js';
import { IotHubConfig } from '../src/config.js';
import { createService } from '../src/service.js';
// The real platform, as the launcher mounts it (test-only cross-service import).
import { ADMIN_PASSWORD, Api, bootTestPlatform, type TestPlatform } from '../../embedded/test/support/test-platform.js';

// What the hub asks of the device registry when the two run apart: the registry's CA and
// RegisterThing routes through real HTTP on the real platform, and the hub's adapters against them.
const TOKEN = 'device-registry-test-token-0123456789abcdef';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

let platform: TestPlatform;
let admin: Api;
let workspaceId: string;
let caCert: X509Certificate;
let scratch: string;

beforeAll(async () => {
  platform = await bootTestPlatform({ CITUS_SERVICE_TOKEN: TOKEN, CITUS_MQTT_ENDPOINT: 'hub.example' });
  admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
  workspaceId = (await admin.get<Me>('/api/v1/me')).body.memberships[0]!.workspaceId;
  caCert = new X509Certificate(platform.caPem);
  scratch = mkdtempSync(join(tmpdir(), 'citus-hub-apart-'));
});
afterAll(async () => {
  await platform?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

async function internal(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers[SERVICE_TOKEN_HEADER] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${platform.baseUrl}/internal/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const errorOf = (response: { status: number; body: unknown }) => [response.status, (response.body as ErrorEnvelope).error?.code, (response.body as ErrorEnvelope).error?.message];
const csr = async (name = 'chosen-by-the-caller') => (await createKeyAndCsr(name)).csrPem;
const devicesNamed = async (thingName: string) => (await admin.get<{ items: Device[] }>('/api/v1/devices')).body.items.filter((device) => device.thingName === thingName);

describe("the device registry's internal routes for the hub", () => {
  it('answer holders of the service token only', async () => {
    const signed = (await internal('POST', '/ca/device-certificates', { commonName: 'thing-1', csr: await csr() })).body as { certificatePem: string };
    for (const token of [null, 'x'.repeat(40)]) {
      expect((await internal('GET', '/ca', undefined, token)).status).toBe(403);
      expect((await internal('POST', '/ca/device-certificates', { commonName: 'thing-1', csr: await csr() }, token)).status).toBe(403);
      expect((await internal('POST', '/ca/server-certificates', { hostnames: ['localhost'], csr: await csr() }, token)).status).toBe(403);
      expect((await internal('POST', '/provisioned-things', { workspaceId, thingName: 'refused-1', certificatePem: signed.certificatePem }, token)).status).toBe(403);
    }
    expect(await devicesNamed('refused-1')).toEqual([]);
  });

  it("answer the CA's certificate, and sign client certificates with the registry's subject", async () => {
    expect(await internal('GET', '/ca')).toEqual({ status: 200, body: { certificatePem: platform.caPem } });
    const signed = await internal('POST', '/ca/device-certificates', { commonName: 'Citus IoT claim batch-7', csr: await csr('evil.example') });
    expect(signed.status).toBe(200);
    const cert = new X509Certificate((signed.body as { certificatePem: string }).certificatePem);
    expect(cert.checkIssued(caCert) && cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject).toBe('CN=Citus IoT claim batch-7');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    const answer = signed.body as { certificateId: string; notAfter: string };
    expect(answer.certificateId).toBe(cert.fingerprint256.replaceAll(':', '').toLowerCase());
    // The certificate keeps whole seconds only.
    expect(Math.floor(Date.parse(answer.notAfter) / 1000) * 1000).toBe(Date.parse(cert.validTo));
  });

  it('refuse an unusable CSR with why, and a subject that could start another part of the name', async () => {
    expect(errorOf(await internal('POST', '/ca/device-certificates', { commonName: 'thing-1', csr: 'not a csr' }))).toEqual([400, 'bad_request', 'csr is not a valid PKCS#10 certificate request']);
    expect(errorOf(await internal('POST', '/ca/server-certificates', { hostnames: ['localhost'], csr: 'not a csr' }))[0]).toBe(400);
    expect(errorOf(await internal('POST', '/ca/device-certificates', { commonName: 'thing-1, O=Evil', csr: await csr() }))[0]).toBe(400);
  });

  it('sign a server certificate only for the names the registry allows', async () => {
    const allowed = await internal('POST', '/ca/server-certificates', { hostnames: ['hub.example', 'localhost', '127.0.0.1'], csr: await csr('evil.example') });
    expect(allowed.status).toBe(200);
    const cert = new X509Certificate((allowed.body as { certificatePem: string }).certificatePem);
    expect(cert.subjectAltName).toBe('DNS:hub.example, DNS:localhost, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual([SERVER_AUTH]);
    expect(cert.checkIssued(caCert)).toBe(true);

    for (const hostnames of [['evil.example'], ['hub.example', 'bank.example'], ['hub.example.evil.example']]) {
      const [status, code, message] = errorOf(await internal('POST', '/ca/server-certificates', { hostnames, csr: await csr() }));
      expect([status, code]).toEqual([403, 'forbidden']);
      expect(message).toMatch(/may name only localhost, 127\.0\.0\.1, hub\.example .*, not /);
    }
  });

  it("register a thing in the named workspace for a client certificate of this CA only", async () => {
    const signed = (await internal('POST', '/ca/device-certificates', { commonName: 'Citus IoT provisioned device', csr: await csr() })).body as { certificatePem: string; certificateId: string };
    const rogue = await EmbeddedCertificateAuthority.loadOrCreate(join(scratch, 'rogue-ca'));
    const foreign = await rogue.signDeviceCsr(await csr(), 'route-1');
    const server = (await internal('POST', '/ca/server-certificates', { hostnames: ['localhost'], csr: await csr() })).body as { certificatePem: string };
    for (const certificatePem of [foreign.certificatePem, server.certificatePem, 'not a certificate']) {
      expect(errorOf(await internal('POST', '/provisioned-things', { workspaceId, thingName: 'route-1', certificatePem }))[0]).toBe(400);
    }
    expect(await devicesNamed('route-1')).toEqual([]);

    const registration = { workspaceId, thingName: 'route-1', certificatePem: signed.certificatePem };
    expect(await internal('POST', '/provisioned-things', registration)).toEqual({ status: 200, body: { registered: true } });
    expect(await devicesNamed('route-1')).toEqual([expect.objectContaining({ status: 'active', certificateId: signed.certificateId, workspaceId })]);
    expect(await internal('POST', '/provisioned-things', registration)).toEqual({ status: 200, body: { registered: false, reason: 'thing-name-taken' } });
    expect(await internal('POST', '/provisioned-things', { ...registration, thingName: 'bad name' })).toEqual({ status: 200, body: { registered: false, reason: 'invalid-thing-name' } });
    // Another workspace's registration is that workspace's thing, never this one's.
    const elsewhere = (await internal('POST', '/ca/device-certificates', { commonName: 'Citus IoT provisioned device', csr: await csr() })).body as { certificatePem: string };
    expect((await internal('POST', '/provisioned-things', { workspaceId: 'ws_elsewhere', thingName: 'route-2', certificatePem: elsewhere.certificatePem })).body).toEqual({ registered: true });
    expect(await devicesNamed('route-2')).toEqual([]);
  });
});

describe("the hub's adapters for the registry apart", () => {
  const options = () => ({ url: platform.baseUrl, serviceToken: TOKEN });

  it('sign with the CA remotely: keys made here verify against the CA, unusable CSRs are CsrError', async () => {
    const ca = await remoteCertificateAuthority(options());
    expect(ca.certificatePem).toBe(platform.caPem);
    const provisioning = new HubProvisioningCa(ca);
    const issued = await provisioning.issueKeyAndCertificate('Citus IoT claim batch-8');
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.checkIssued(caCert) && cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    expect(await provisioning.signCsr('not a csr', 'Citus IoT provisioned device')).toEqual({ invalid: 'csr is not a valid PKCS#10 certificate request' });
    await expect(ca.signDeviceCsr('not a csr', 'thing-1')).rejects.toBeInstanceOf(CsrError);
  });

  it('provision through the remote registrar: the thing is created, a taken name answered as a value', async () => {
    const ca = await remoteCertificateAuthority(options());
    const registrar = remoteThingRegistrar(options());
    const signed = await ca.signDeviceCsr(await csr(), 'Citus IoT provisioned device');
    const thing = { workspaceId, thingName: 'remote-1', ...signed };
    expect(await registrar.registerThing(thing)).toEqual({ registered: true });
    expect(await devicesNamed('remote-1')).toEqual([expect.objectContaining({ status: 'active', certificateId: signed.certificateId })]);
    expect(await registrar.registerThing(thing)).toEqual({ registered: false, reason: 'thing-name-taken' });
  });

  it("start a hub apart on the registry's CA: its TLS certificate verifies against the CA, names outside the registry's list refuse it", async () => {
    const hub = hubApart({ CITUS_MQTT_ENDPOINT: 'hub.example' }, await remoteCertificateAuthority(options()));
    try {
      await hub.service.start?.();
      const peer = await new Promise<X509Certificate>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: hub.service.mqttPort(), servername: 'hub.example', ca: platform.caPem }, () => {
          const certificate = socket.getPeerX509Certificate();
          socket.destroy();
          if (!socket.authorized || !certificate) reject(new Error(`not authorized: ${String(socket.authorizationError)}`));
          else resolve(certificate);
        });
        socket.once('error', reject);
      });
      expect(peer.checkHost('hub.example')).toBe('hub.example');
      expect(peer.checkIssued(caCert)).toBe(true);
    } finally {
      await hub.shutdown.run('test');
    }

    const refused = hubApart({ CITUS_MQTT_ENDPOINT: 'hub.example', CITUS_HUB_HOSTNAMES: 'bank.example' }, await remoteCertificateAuthority(options()));
    try {
      await expect(refused.service.start?.()).rejects.toEqual(expect.objectContaining({ code: 'unavailable', message: expect.stringMatching(/answered 403: .*not bank\.example/) }));
    } finally {
      await refused.shutdown.run('test');
    }
  });

  it('fail as unavailable, naming the registry, when it refuses the token or cannot be reached', async () => {
    const unavailable = (pattern: RegExp) => expect.objectContaining({ code: 'unavailable', message: expect.stringMatching(pattern) }) as AppError;
    const wrongToken = { url: platform.baseUrl, serviceToken: 'y'.repeat(40) };
    await expect(remoteCertificateAuthority(wrongToken)).rejects.toEqual(unavailable(/^the device registry at .* refused this process's service token/));
    await expect(remoteThingRegistrar(wrongToken).registerThing({ workspaceId, thingName: 'never-1', certificateId: 'x', certificatePem: 'x', notAfter: new Date() })).rejects.toEqual(
      unavailable(/service token/),
    );
    const closed = { url: 'http://127.0.0.1:9', serviceToken: TOKEN, timeoutMs: 2_000 };
    await expect(remoteCertificateAuthority(closed)).rejects.toEqual(unavailable(/^the device registry cannot be reached at http:\/\/127\.0\.0\.1:9/));
    // Waiting for a registry that starts late: asked again until the wait is over.
    const started = Date.now();
    await expect(remoteCertificateAuthority({ ...closed, waitMs: 1_500 })).rejects.toEqual(unavailable(/cannot be reached/));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });
});

/** The hub in a process of its own: the registry's CA over HTTP, its own data dir, no things of its own yet. */
function hubApart(env: Record<string, string>, ca: Awaited<ReturnType<typeof remoteCertificateAuthority>>) {
  const logger = createLogger({ level: 'silent' });
  const shutdown = new Shutdown(logger);
  const service = createService({
    logger,
    events: new EventBus(logger),
    health: new HealthRegistry(),
    shutdown,
    dataDir: mkdtempSync(join(scratch, 'hub-')),
    authenticate: (_req, _res, next) => next(),
    config: parseConfig(IotHubConfig, { MQTT_TLS_PORT: '0', MQTT_HOST: '127.0.0.1', ...env }),
    ca,
    certificates: { activeCertificate: () => undefined },
    things: { workspaceOfThing: () => undefined },
    registrar: remoteThingRegistrar({ url: platform.baseUrl, serviceToken: TOKEN }),
  });
  return { service, shutdown };
}
