import { z } from 'zod';
import { hostName, hostNameList, port } from '@citus/kit';

export const IotHubConfig = z.object({
  MQTT_TLS_PORT: port(8883),
  /** Interface the MQTT listener binds to. */
  MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  /** Extra DNS names or IP addresses for the hub's server certificate, besides localhost and 127.0.0.1. */
  CITUS_HUB_HOSTNAMES: hostNameList,
  /** The host name devices are told to connect to; always in the server certificate. */
  CITUS_MQTT_ENDPOINT: hostName.default('localhost'),
});
export type IotHubConfig = z.infer<typeof IotHubConfig>;
