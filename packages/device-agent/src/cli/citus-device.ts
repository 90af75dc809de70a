#!/usr/bin/env node
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { activate } from '../activate.js';
import { loadDevice } from '../device-state.js';
import { runTelemetry } from '../run-telemetry.js';
import { createConnection } from '../connection.js';
import Dockerode from 'dockerode';
import { ContainerName } from '@citus/contracts';
import { ContainerSwap } from '../container-swap.js';
import { UpdateAgent } from '../take-updates.js';

const USAGE = `citus-device: the Citus IoT reference device agent (AWS IoT Device SDK v2)

usage:
  citus-device activate --api <url> --device <id> --code <activation code> [--force]
  citus-device run [--rate <per second>] [--count <n>] [--stream <name>] [--endpoint <host>] [--port <n>]
  citus-device updates [--install-hook <program>] [--containers <name,...>] [--endpoint <host>] [--port <n>]
  citus-device status

options:
  --dir <path>   where the device keeps its key and certificates (default ./.citus-device,
                 or CITUS_DEVICE_DIR)
  --install-hook <program>
                 updates: run with the checked artifact's path and version; exit 0 = installed
  --containers <name,...>
                 updates, on a gateway: the containers of the local Docker engine (DOCKER_HOST)
                 that container releases may replace; each replacement is rolled back when the
                 new container fails its health check
  --help         this text`;

const OPTIONS = {
  dir: { type: 'string' },
  api: { type: 'string' },
  device: { type: 'string' },
  code: { type: 'string' },
  force: { type: 'boolean' },
  rate: { type: 'string' },
  count: { type: 'string' },
  stream: { type: 'string' },
  endpoint: { type: 'string' },
  port: { type: 'string' },
  'install-hook': { type: 'string' },
  containers: { type: 'string' },
  help: { type: 'boolean' },
} as const;

class UsageError extends Error {}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`--${flag} is required`);
  return value;
}

function positive(value: string | undefined, flag: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`--${flag} must be a positive number`);
  return number;
}

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function activateCommand(values: Values, dir: string): Promise<number> {
  const state = await activate({
    apiUrl: required(values.api, 'api'),
    deviceId: required(values.device, 'device'),
    activationCode: required(values.code, 'code'),
    dir,
    force: values.force,
  });
  console.log(`activated ${state.thingName}; key and certificate in ${dir}`);
  console.log(`MQTT endpoint ${state.mqttEndpoint}:${state.mqttPort}. Next: citus-device run`);
  return 0;
}

async function runCommand(values: Values, dir: string): Promise<number> {
  const files = loadDevice(dir);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const rate = positive(values.rate, 'rate', 1) as number;
  // About one line every ten seconds, whatever the rate.
  const every = Math.max(1, Math.round(rate * 10));
  console.log(`publishing to telemetry/${files.state.thingName} at ${rate}/s (Ctrl-C to stop)`);
  const sent = await runTelemetry(files, {
    rate,
    count: positive(values.count, 'count'),
    stream: values.stream,
    endpoint: values.endpoint,
    port: positive(values.port, 'port'),
    signal: controller.signal,
    onPublished: (reading, n) => {
      if (n % every === 1 || every === 1) {
        console.log(`#${n} ${reading.value} ${reading.unit}, ${reading.temperature} °C, ${reading.humidity} %`);
      }
    },
  });
  console.log(`stopped after ${sent} readings, each acknowledged by the platform`);
  return 0;
}

/** Takes update jobs until Ctrl-C: downloads, checks, installs with the hook, reports. */
async function updatesCommand(values: Values, dir: string): Promise<number> {
  const allowed = (values.containers ?? '').split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  const refused = allowed.filter((name) => !ContainerName.safeParse(name).success);
  if (refused.length > 0) throw new UsageError(`--containers: not a container name: ${refused.join(', ')}`);
  const files = loadDevice(dir);
  const connection = createConnection(files, { endpoint: values.endpoint, port: positive(values.port, 'port') });
  await connection.connect();
  const agent = new UpdateAgent(connection, files, {
    workDir: resolve(dir, 'updates'),
    installHook: values['install-hook'],
    onEvent: (event) => console.log(event),
    // Dockerode reads DOCKER_HOST (unix:// or tcp://) itself, else the local socket.
    ...(allowed.length > 0 ? { containers: { swap: new ContainerSwap(new Dockerode()), allowed } } : {}),
  });
  await agent.start();
  console.log(`taking update jobs for ${files.state.thingName} (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await agent.idle();
  await connection.disconnect().catch(() => undefined);
  return 0;
}

function statusCommand(dir: string): number {
  const { state, certificatePem } = loadDevice(dir);
  const certificate = new X509Certificate(certificatePem);
  console.log(JSON.stringify({ ...state, certificateSubject: certificate.subject, certificateValidTo: certificate.validTo }, null, 2));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const dir = resolve(values.dir ?? process.env.CITUS_DEVICE_DIR ?? '.citus-device');
  switch (command) {
    case 'activate':
      return activateCommand(values, dir);
    case 'run':
      return runCommand(values, dir);
    case 'updates':
      return updatesCommand(values, dir);
    case 'status':
      return statusCommand(dir);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
    else console.error(`citus-device: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
