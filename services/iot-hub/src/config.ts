import { z } from 'zod';
import { commaList, port } from '@citus/kit';

export const IotHubConfig = z.object({
  MQTT_TLS_PORT: port(8883),
  /** Interface the MQTT listener binds to. */
  MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  /** Extra DNS names or IP addresses for the hub's server certificate, besides localhost and 127.0.0.1. */
  CITUS_HUB_HOSTNAMES: commaList,
});
export type IotHubConfig = z.infer<typeof IotHubConfig>;
