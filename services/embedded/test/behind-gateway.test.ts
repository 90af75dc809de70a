import { request } from 'node:http';
import { parseConfig, ConfigError } from '@citus/kit';
import { EmbeddedConfig } from '../src/config.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';

/** A login sent from a chosen local address of 127.0.0.0/8, which fetch cannot choose. */
function loginFrom(platform: TestPlatform, localAddress: string, forwardedFor: string, username: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${platform.baseUrl}/api/v1/auth/token`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify({ username, password }));
  });
}

/** The login throttle refuses an address after this many failures (LoginThrottle's default). */
const MAX_FAILURES = 10;

describe('TRUST_PROXY', () => {
  it('accepts addresses, CIDRs and named ranges, and refuses whatever would trust every peer', () => {
    expect(parseConfig(EmbeddedConfig, {}).TRUST_PROXY).toEqual(['loopback']);
    expect(parseConfig(EmbeddedConfig, { TRUST_PROXY: '172.30.0.0/16, 10.0.0.5,fd00::/8,uniquelocal' }).TRUST_PROXY).toEqual([
      '172.30.0.0/16',
      '10.0.0.5',
      'fd00::/8',
      'uniquelocal',
    ]);
    for (const everything of ['true', '1', '0.0.0.0/0', '::/0', '*', 'kong', '10.0.0.0/33', ',']) {
      expect(() => parseConfig(EmbeddedConfig, { TRUST_PROXY: everything })).toThrow(ConfigError);
    }
  });
});

// 127.0.0.2 plays Kong (trusted), 127.0.0.3 a client reaching the platform directly (not trusted).
describe('behind a gateway (TRUST_PROXY=127.0.0.2)', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await bootTestPlatform({ TRUST_PROXY: '127.0.0.2', CITUS_MQTT_ADVERTISED_PORT: '18883' });
  });
  afterAll(() => platform.destroy());

  it('throttles logins per client behind the gateway: one client\'s failures do not lock out the others', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(await loginFrom(platform, '127.0.0.2', '203.0.113.10', `guess-${i}`, 'wrong password')).toBe(401);
    }
    expect(await loginFrom(platform, '127.0.0.2', '203.0.113.10', 'guess-x', 'wrong password')).toBe(429);
    expect(await loginFrom(platform, '127.0.0.2', '203.0.113.20', 'admin', ADMIN_PASSWORD)).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer it does not trust: the throttle keys on the peer', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(await loginFrom(platform, '127.0.0.3', `198.51.100.${i + 1}`, `direct-${i}`, 'wrong password')).toBe(401);
    }
    expect(await loginFrom(platform, '127.0.0.3', '198.51.100.200', 'admin', ADMIN_PASSWORD)).toBe(429);
    expect(await loginFrom(platform, '127.0.0.2', '198.51.100.200', 'admin', ADMIN_PASSWORD)).toBe(200);
  });

  it('tells devices the advertised MQTT port (CITUS_MQTT_ADVERTISED_PORT), not the listener\'s', async () => {
    const api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const device = await declareAndActivate(api, 'Advertised port sensor');
    expect(device.activation.mqttPort).toBe(18883);
    expect(platform.mqttPort).not.toBe(18883);
    const asyncApi = await api.get<{ servers: { hub: { host: string } } }>('/api/v1/asyncapi.json');
    expect(asyncApi.body.servers.hub.host).toBe('localhost:18883');
  });
});
