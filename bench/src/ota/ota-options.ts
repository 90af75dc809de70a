import { parseFlags, positiveInt } from '../support/cli-options.js';

export interface OtaOptions {
  devices: number;
  /** Bytes of the release's artifact each device downloads. */
  artifactBytes: number;
  /** Devices downloading at the same time (the bench's HTTP connections). */
  downloads: number;
}

export const OTA_USAGE = `pnpm bench ota [options]   (each option also reads from the env variable shown)
  --devices <n>          connected devices the update targets   BENCH_DEVICES          (1000)
  --artifact-kb <n>      size of the release's artifact          BENCH_ARTIFACT_KB      (64)
  --downloads <n>        downloads at once                       BENCH_DOWNLOADS        (32)
One platform process; the devices are connected and subscribed to notify-next before one update job
(a signed release, every device a target, no rollout limit) is created over REST. Measured: the time
until every device has its notify-next with its own download link (goal, issue 6 point 8: 1,000 devices
within 5 s) and the notification rate; then the whole rollout: start-next, download, SHA-256 check,
SUCCEEDED, for every device.`;

export function parseOtaOptions(args: string[], env: NodeJS.ProcessEnv = process.env): OtaOptions {
  const values = parseFlags(args, { devices: { type: 'string' }, 'artifact-kb': { type: 'string' }, downloads: { type: 'string' } });
  return {
    devices: positiveInt('devices', values.devices ?? env.BENCH_DEVICES, 1000, 10_000),
    artifactBytes: positiveInt('artifact-kb', values['artifact-kb'] ?? env.BENCH_ARTIFACT_KB, 64, 65_536) * 1024,
    downloads: positiveInt('downloads', values.downloads ?? env.BENCH_DOWNLOADS, 32, 1_000),
  };
}
