import { isIP } from 'node:net';
import { z } from 'zod';
import { ServiceToken } from '@citus/contracts';
import { logLevel, port } from '@citus/kit';

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|localhost)$/i;

/** proxy-addr's named ranges, which express's `trust proxy` accepts beside addresses and CIDRs. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * One entry of express's `trust proxy` list: a named range, an address or a CIDR. Never everything
 * (`true`, a hop count, a /0): then any client could name its own address in X-Forwarded-For.
 */
function isTrustedProxy(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

/** The services one process can run, by their package names. */
export const SERVICE_NAMES = ['portal', 'device-lifecycle', 'iot-hub', 'indexer', 'analytics', 'app-registry'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const ServiceList = z
  .string()
  .default(SERVICE_NAMES.join(','))
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.enum(SERVICE_NAMES, `one of ${SERVICE_NAMES.join(', ')}`))
      .min(1, 'at least one service')
      .refine((names) => new Set(names).size === names.length, 'each service once'),
  );

export const EmbeddedConfig = z
  .object({
    CITUS_SERVICES: ServiceList.describe(
      `comma-separated services this process runs (${SERVICE_NAMES.join(', ')}); unset, all of them. Any of them may run apart on the scale-out stores (DynamoDB; see Compose mode), with \`CITUS_SERVICE_TOKEN\` and the URLs of the processes they ask`,
    ),
    CITUS_PORTAL_URL: z
      .url({ protocol: /^https?$/, error: 'an http(s) URL such as http://portal:8080' })
      .optional()
      .describe('where the portal process answers, for a process that runs without `portal` (e.g. `http://portal:8080`)'),
    CITUS_DEVICE_PLANE_URL: z
      .url({ protocol: /^https?$/, error: 'an http(s) URL such as http://platform:8080' })
      .optional()
      .describe(
        'where the process with `iot-hub` answers, for `analytics` (whose thing, shadow actions, analysis results) and `device-lifecycle` (devices\' connectivity) running apart from it',
      ),
    CITUS_DEVICE_REGISTRY_URL: z
      .url({ protocol: /^https?$/, error: 'an http(s) URL such as http://device-lifecycle:8080' })
      .optional()
      .describe(
        'where the process with `device-lifecycle` answers, for `iot-hub` running apart from it (the device CA signs the hub\'s CSRs there; fleet provisioning registers things there)',
      ),
    CITUS_SERVICE_TOKEN: ServiceToken.optional().describe(
      'shared by the processes of one platform (at least 32 characters): the portal serves its internal API (`/internal/v1`) to holders only, and the others send it; unset on a process with every service',
    ),
    CITUS_ACCESS_CACHE_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(60)
      .default(5)
      .describe('without `portal`: how long a caller\'s resolved access is reused (0–60 s), so a revoked key or a changed role counts everywhere within it'),
    PORT: port(8080).describe('port of the HTTP listener (the API and the web UI)'),
    // Passwords and activation codes travel in the API's bodies, so plain HTTP stays on loopback.
    HOST: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('interface of the HTTP listener; plain HTTP, so loopback unless a TLS proxy fronts it'),
    CITUS_DATA_DIR: z.string().min(1).default('./data').describe('where the CA, keys and databases live'),
    // Behind Kong every request comes from Kong: only from these peers is X-Forwarded-For believed,
    // and the login throttle and the logs see the client's address instead of the gateway's.
    TRUST_PROXY: z
      .string()
      .default('loopback')
      .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
      .pipe(
        z
          .array(z.string().refine(isTrustedProxy, 'a proxy address, a CIDR (prefix 1 or longer), `loopback`, `linklocal` or `uniquelocal`'))
          .min(1, 'at least one proxy address'),
      )
      .describe(
        'comma-separated addresses or CIDRs of the reverse proxies (Kong) whose `X-Forwarded-For` is believed, or `loopback`, `linklocal`, `uniquelocal`; never every address',
      ),
    // A published port or a load balancer may put the hub on another port than its own listener's.
    CITUS_MQTT_ADVERTISED_PORT: z.coerce
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        'the MQTT over TLS port devices are told to connect to (activation answers, AsyncAPI document) when it differs from the listener\'s, e.g. a port published or forwarded elsewhere; unset, the listener\'s port',
      ),
    LOG_LEVEL: logLevel.describe('pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`'),
    // A listener of its own, so that metrics are neither in the public route table nor behind the gateway.
    METRICS_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe('port of the Prometheus `/metrics` listener (see Operations); unset, there is none'),
    METRICS_HOST: z.string().min(1).default('127.0.0.1').describe('interface of the `/metrics` listener'),
    CITUS_METRICS_TOKEN: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe('bearer token a scrape must send (at least 16 characters; required when `METRICS_HOST` is not loopback)'),
  })
  .refine((config) => config.METRICS_PORT === undefined || LOOPBACK.test(config.METRICS_HOST) || config.CITUS_METRICS_TOKEN !== undefined, {
    path: ['CITUS_METRICS_TOKEN'],
    message: 'required when METRICS_HOST is not a loopback address: metrics are not public',
  })
  .refine((config) => config.CITUS_SERVICES.includes('portal') || config.CITUS_PORTAL_URL !== undefined, {
    path: ['CITUS_PORTAL_URL'],
    message: 'required when CITUS_SERVICES leaves out portal: people and API keys are resolved there',
  })
  .refine((config) => config.CITUS_SERVICES.length === SERVICE_NAMES.length || config.CITUS_SERVICE_TOKEN !== undefined, {
    path: ['CITUS_SERVICE_TOKEN'],
    message: 'required when CITUS_SERVICES names only some services: the processes of one platform call each other with it',
  });
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;
