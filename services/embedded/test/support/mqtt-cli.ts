import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivatedDevice, TestPlatform } from './test-platform.js';

export const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
export const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
/** coreutils' stdbuf: mosquitto_sub's stdout is a pipe here, which C's stdio would buffer until exit. */
const STDBUF = '/usr/bin/stdbuf';

/**
 * Fails with what to do when Debian's mosquitto-clients are missing: the system tier must not
 * pass by skipping (`.ci/run` installs them; locally `apt-get install mosquitto-clients`).
 */
export function requireMosquittoClients(): void {
  for (const binary of [MOSQUITTO_PUB, MOSQUITTO_SUB, STDBUF]) {
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      throw new Error(`${binary} is missing: install Debian's mosquitto-clients (apt-get install -y mosquitto-clients), as .ci/run does`);
    }
  }
}

export type MqttVersion = 'mqttv311' | 'mqttv5';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What `mosquitto_sub -F` prints per message: a marker, so message lines stand apart from `-d` debug lines. */
const MESSAGE_FORMAT = 'MSG\t%r\t%t\t%p';

export interface CliMessage {
  topic: string;
  payload: string;
  retained: boolean;
}

/** A running `mosquitto_sub`: resolves `subscribed` on the SUBACK and `exited` when it ends. */
export class SubProcess {
  readonly exited: Promise<CliResult>;
  readonly subscribed: Promise<void>;
  private stdout = '';
  private stderr = '';

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })),
    );
    // `-d` prints "Subscribed (mid: 1): <granted qos>" once the SUBACK is in.
    this.subscribed = new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (/^Subscribed \(mid: \d+\)/m.test(this.stdout)) finish(resolve);
      }, 10);
      const finish = (outcome: () => void) => {
        clearInterval(timer);
        outcome();
      };
      void this.exited.then((result) => finish(() => reject(new Error(`mosquitto_sub ended before its SUBACK: ${summarize(result)}`))));
    });
    this.subscribed.catch(() => undefined);
  }

  /** The messages it printed, parsed from the `-F` format. */
  messages(): CliMessage[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('MSG\t'))
      .map((line) => {
        const [, retained, topic, ...payload] = line.split('\t');
        return { topic: topic as string, payload: payload.join('\t'), retained: retained === '1' };
      });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

export function summarize(result: CliResult): string {
  return `exit ${result.code ?? result.signal}; stdout ${JSON.stringify(result.stdout.slice(-600))}; stderr ${JSON.stringify(result.stderr.slice(-600))}`;
}

/**
 * A device's credentials in files, as the mosquitto clients want them (the key readable by its
 * owner only), and the two clients run as child processes with argument arrays, never a shell.
 */
export class MosquittoDevice {
  private readonly children = new Set<SubProcess>();

  private constructor(
    readonly clientId: string,
    private readonly dir: string,
    private readonly port: number,
  ) {}

  /** `clientId` defaults to the thing name, the one client id the default device policy allows. */
  static create(platform: TestPlatform, activated: ActivatedDevice, clientId = activated.device.thingName): MosquittoDevice {
    const dir = mkdtempSync(join(tmpdir(), 'citus-mosquitto-'));
    writeFileSync(join(dir, 'ca.pem'), activated.activation.caCertificatePem);
    writeFileSync(join(dir, 'cert.pem'), activated.activation.certificatePem);
    writeFileSync(join(dir, 'key.pem'), activated.privateKeyPem, { mode: 0o600 });
    return new MosquittoDevice(clientId, dir, platform.mqttPort);
  }

  /** `--cafile --cert --key -h -p -i -V`: mutual TLS with the device's certificate. */
  connectionArgs(version: MqttVersion = 'mqttv311'): string[] {
    return [
      '--cafile', join(this.dir, 'ca.pem'),
      '--cert', join(this.dir, 'cert.pem'),
      '--key', join(this.dir, 'key.pem'),
      '-h', '127.0.0.1',
      '-p', String(this.port),
      '-i', this.clientId,
      '-V', version,
    ];
  }

  /** `mosquitto_pub` to its end; resolves with how it exited (a failure is a value, not a throw). */
  pub(args: string[], version?: MqttVersion): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(MOSQUITTO_PUB, [...this.connectionArgs(version), ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
        const failed = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        const code = failed ? (typeof failed.code === 'number' ? failed.code : null) : 0;
        resolve({ code, signal: failed?.signal ?? null, stdout, stderr });
      });
    });
  }

  /**
   * Starts `mosquitto_sub -d` with the message format above, its stdout line-buffered so the
   * SUBACK shows as it happens; `afterEach` should call `killAll`.
   */
  sub(args: string[], version?: MqttVersion): SubProcess {
    const argv = ['-oL', MOSQUITTO_SUB, ...this.connectionArgs(version), '-d', '-F', MESSAGE_FORMAT, ...args];
    const child = spawn(STDBUF, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const sub = new SubProcess(child);
    this.children.add(sub);
    void sub.exited.then(() => this.children.delete(sub));
    return sub;
  }

  async killAll(): Promise<void> {
    const running = [...this.children];
    for (const sub of running) sub.kill('SIGKILL');
    await Promise.all(running.map((sub) => sub.exited));
  }

  async destroy(): Promise<void> {
    await this.killAll();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
