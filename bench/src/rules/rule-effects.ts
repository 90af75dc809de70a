import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { ShadowDocument } from '@citus/contracts';
import { mapLimit, sleep } from '../support/async.js';
import type { DeviceCredentials } from '../support/platform-devices.js';
import type { RestClient } from '../support/rest-client.js';
import { connectDevice } from '../ingest/device-connection.js';

/**
 * The http actions' endpoint, on 127.0.0.1 (plain HTTP is allowed for a loopback host): counts the
 * POSTs and those that carry the rule signature, and answers 204 once the body is read.
 */
export class ActionReceiver {
  requests = 0;
  signed = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ActionReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new ActionReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => {
        receiver.requests++;
        if (req.headers['x-citus-signature'] !== undefined) receiver.signed++;
        res.writeHead(204).end();
      });
    });
    return receiver;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A device of the workspace subscribed to its own `things/{thing}/#`: counts what rules republish to it. */
export class RepublishObserver {
  received = 0;
  private constructor(private readonly client: MqttClient) {}

  static async connect(mqttPort: number, caPem: string, credentials: DeviceCredentials): Promise<RepublishObserver> {
    const client = await connectDevice(mqttPort, caPem, credentials);
    const observer = new RepublishObserver(client);
    client.on('message', () => observer.received++);
    await client.subscribeAsync(`things/${credentials.clientId}/#`, { qos: 0 });
    return observer;
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

export interface ShadowFigures {
  /** Sum of the things' shadow versions: each accepted update adds one. */
  updates: number;
  /** Things whose reported state holds a key a bench shadow rule writes (`rule_{n}`), with a value in the payload's range. */
  thingsWithReported: number;
  /** One such reported state, as an example of the effect. */
  example: Record<string, unknown> | undefined;
}

const REPORTED_KEY = /^rule_\d+$/;

/** Reads every thing's classic shadow through the REST API (404: no shadow yet). */
export async function readShadows(api: RestClient, thingNames: string[]): Promise<ShadowFigures> {
  const shadows = await mapLimit(thingNames, 8, (thingName) =>
    api.get<ShadowDocument>(`/api/v1/things/${thingName}/shadow`).catch((error: unknown) => {
      if (error instanceof Error && / 404 /.test(error.message)) return undefined;
      throw error;
    }),
  );
  const figures: ShadowFigures = { updates: 0, thingsWithReported: 0, example: undefined };
  for (const shadow of shadows) {
    if (!shadow) continue;
    figures.updates += shadow.version;
    const reported = shadow.state.reported ?? {};
    const written = Object.entries(reported).some(([key, value]) => REPORTED_KEY.test(key) && typeof value === 'number' && value >= 18 && value <= 26);
    if (!written) continue;
    figures.thingsWithReported++;
    figures.example ??= reported;
  }
  return figures;
}

/**
 * Waits for the actions taken after the PUBACKs to finish: until `read` gives the same figure for
 * `quietMs`, or `maxMs` pass. Answers the last figure and how long it took.
 */
export async function settle(read: () => number | Promise<number>, quietMs = 1_500, maxMs = 30_000): Promise<{ value: number; seconds: number }> {
  const started = Date.now();
  let value = await read();
  let stableSince = Date.now();
  while (Date.now() - stableSince < quietMs && Date.now() - started < maxMs) {
    await sleep(250);
    const next = await read();
    if (next !== value) [value, stableSince] = [next, Date.now()];
  }
  return { value, seconds: (Date.now() - started) / 1000 };
}

/** The samples of the platform's `GET /metrics` whose name speaks of rules; none when the hub exposes no rule counters. */
export async function ruleMetrics(metricsUrl: string): Promise<string[]> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${metricsUrl}: ${response.status}`);
  return (await response.text()).split('\n').filter((line) => !line.startsWith('#') && /^[a-z_]*rule[a-z_]*[{ ]/i.test(line));
}
