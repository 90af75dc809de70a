import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { iotjobs, iotshadow, mqtt } from 'aws-iot-device-sdk-v2';
import { ReleaseUpdateDocument, type CodeSigningKey } from '@citus/contracts';
import type { ContainerSwap } from './container-swap.js';
import type { DeviceFiles } from './device-state.js';
import { checkRelease } from './release-check.js';

const QOS = mqtt.QoS.AtLeastOnce;
const { JobStatus } = iotjobs.model;
const run = promisify(execFile);
const REPLY_TIMEOUT_MS = 10_000;
const HOOK_TIMEOUT_MS = 10 * 60_000;

export interface UpdateOptions {
  /** Where artifacts are downloaded to (one file per update, removed afterwards). */
  workDir: string;
  /** Run with the artifact's path and the version; exit 0 means installed. None: downloading and checking is all. */
  installHook?: string;
  /** What happens, for a log. */
  onEvent?: (event: string) => void;
  /**
   * A gateway: container releases replace one of these containers (and only these) on this
   * Docker engine. None: container releases are refused.
   */
  containers?: { swap: ContainerSwap; allowed: readonly string[] };
}

type Reply = { error?: string; value?: unknown };

/**
 * Story 3, the device's side: takes update jobs through the Jobs MQTT API (the SDK's
 * IotJobsClient), one at a time. For each: start it, download the artifact with the link made for
 * this device (reporting progress), check the signature against the key learnt at activation and
 * the bytes against the signed hash, run the install hook, then report SUCCEEDED and the new
 * version in the shadow (`reported.software`), or FAILED with the reason. On a gateway, a container
 * release replaces one named container instead (rolled back when the new one is unhealthy), and
 * is reported under `reported.containers.{name}`. Anything that is not an update is REJECTED.
 */
export class UpdateAgent {
  private readonly jobs: iotjobs.IotJobsClient;
  private readonly shadow: iotshadow.IotShadowClient;
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  private busy: Promise<void> = Promise.resolve();

  constructor(
    connection: mqtt.MqttClientConnection,
    private readonly files: DeviceFiles,
    private readonly options: UpdateOptions,
  ) {
    this.jobs = new iotjobs.IotJobsClient(connection);
    this.shadow = new iotshadow.IotShadowClient(connection);
  }

  /** Subscribes to the thing's job topics and takes what is pending now; later jobs follow on notify-next. */
  async start(): Promise<void> {
    const thingName = this.files.state.thingName;
    const settle = (clientToken: string | undefined, reply: Reply) => {
      if (!clientToken) return;
      this.waiting.get(clientToken)?.(reply);
      this.waiting.delete(clientToken);
    };
    const answer = (error?: { message: string }, response?: { clientToken?: string }) =>
      settle(response?.clientToken, error ? { error: error.message } : { value: response });
    const refused = (error?: { message: string }, response?: { clientToken?: string; message?: string }) =>
      settle(response?.clientToken, { error: response?.message ?? error?.message ?? 'rejected' });
    await Promise.all([
      this.jobs.subscribeToStartNextPendingJobExecutionAccepted({ thingName }, QOS, answer),
      this.jobs.subscribeToStartNextPendingJobExecutionRejected({ thingName }, QOS, refused),
      this.jobs.subscribeToUpdateJobExecutionAccepted({ thingName, jobId: '+' }, QOS, answer),
      this.jobs.subscribeToUpdateJobExecutionRejected({ thingName, jobId: '+' }, QOS, refused),
      this.jobs.subscribeToNextJobExecutionChangedEvents({ thingName }, QOS, (_error, event) => {
        if (event?.execution) this.takeNext();
      }),
    ]);
    this.takeNext();
  }

  /** Resolves once the updates started so far are done. */
  idle(): Promise<void> {
    return this.busy;
  }

  private takeNext(): void {
    this.busy = this.busy.then(() => this.startNext()).catch((error: unknown) => this.say(`update failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  private async startNext(): Promise<void> {
    const thingName = this.files.state.thingName;
    const started = await this.request((clientToken) => this.jobs.publishStartNextPendingJobExecution({ thingName, clientToken, statusDetails: { step: 'starting' } }, QOS));
    const execution = (started as iotjobs.model.StartNextJobExecutionResponse).execution;
    if (!execution?.jobId) return;
    const jobId = execution.jobId;
    const document = ReleaseUpdateDocument.safeParse(execution.jobDocument);
    if (!document.success) {
      await this.report(jobId, JobStatus.REJECTED, { reason: 'not an update this agent takes' });
      return this.takeNext();
    }
    const outcome = await this.install(jobId, document.data).catch((error: unknown) => ({ reason: error instanceof Error ? error.message : String(error) }));
    if ('reason' in outcome) await this.report(jobId, JobStatus.FAILED, { reason: outcome.reason.slice(0, 1000) });
    else {
      const { release, container } = document.data;
      await this.report(jobId, JobStatus.SUCCEEDED, { version: release.version });
      // A gateway reports each container's software under its name; a device its own.
      const software = { version: release.version, releaseId: release.releaseId, ...(release.image ? { image: release.image } : {}) };
      const reported = container ? { containers: { [container.name]: software } } : { software };
      await this.shadow.publishUpdateShadow({ thingName, state: { reported } }, QOS);
    }
    this.say(`job ${jobId}: ${'reason' in outcome ? `FAILED (${outcome.reason})` : `installed ${document.data.release.version}`}`);
    this.takeNext();
  }

  private async install(jobId: string, document: ReleaseUpdateDocument): Promise<{ installed: true } | { reason: string }> {
    const { release } = document;
    const key = this.files.codeSigningKey;
    if (!key) return { reason: 'this device has no code-signing key (activated before releases were signed): activate it again' };
    if (release.kind === 'container') return this.replaceContainer(jobId, document, key);
    if (!release.url) return { reason: 'the job document has no download link' };
    if (release.url.startsWith('${')) return { reason: `the platform gave no download link (${release.url})` };
    await mkdir(this.options.workDir, { recursive: true, mode: 0o700 });
    const file = join(this.options.workDir, `${release.releaseId}-${randomUUID()}.bin`);
    try {
      const downloaded = await this.download(jobId, new URL(release.url, this.files.state.apiUrl), file, release.size);
      const check = checkRelease(release, key, downloaded);
      if (!check.ok) return { reason: check.reason };
      await this.report(jobId, JobStatus.IN_PROGRESS, { step: 'installing' });
      if (this.options.installHook) {
        await run(this.options.installHook, [file, release.version], { timeout: HOOK_TIMEOUT_MS }).catch((error: { code?: unknown; stderr?: string }) => {
          throw new Error(`the install hook failed (exit ${String(error.code)}): ${(error.stderr ?? '').trim().slice(0, 300)}`);
        });
      }
      return { installed: true };
    } finally {
      await rm(file, { force: true });
    }
  }

  /** A container release: the signature first, then the named container is replaced (see ContainerSwap). */
  private async replaceContainer(jobId: string, document: ReleaseUpdateDocument, key: CodeSigningKey): Promise<{ installed: true } | { reason: string }> {
    const { release, container } = document;
    const containers = this.options.containers;
    if (!containers) return { reason: 'this device takes no container releases (citus-device updates --containers names those it may replace)' };
    if (!container) return { reason: 'the job names no container to replace' };
    if (!containers.allowed.includes(container.name)) return { reason: `this gateway may not replace ${container.name} (it may replace: ${containers.allowed.join(', ')})` };
    if (!release.image) return { reason: 'the container release names no image' };
    const check = checkRelease(release, key);
    if (!check.ok) return { reason: check.reason };
    const outcome = await containers.swap.replace(container.name, release.image, (step) => this.report(jobId, JobStatus.IN_PROGRESS, { step, container: container.name }));
    if ('reason' in outcome) return { reason: outcome.reason };
    // Delivered again after it was done (the agent stopped before reporting): it is installed.
    this.say(`job ${jobId}: ${container.name} ${outcome.replaced ? `now runs ${release.image} (was ${outcome.previousImage})` : `runs ${release.image} already`}`);
    return { installed: true };
  }

  /** Streams the artifact to a file, hashing it on the way and reporting progress every quarter. */
  private async download(jobId: string, url: URL, file: string, size: number | undefined): Promise<{ sha256: string; size: number }> {
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(`download refused: HTTP ${response.status}`);
    const hash = createHash('sha256');
    let received = 0;
    let quarter = 0;
    // One report after the other: the platform's last word on progress is the latest quarter.
    let progress: Promise<unknown> = Promise.resolve();
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        hash.update(chunk);
        received += chunk.length;
        const reached = size ? Math.floor((received / size) * 4) : 0;
        if (reached > quarter && reached < 4) {
          quarter = reached;
          const percent = `${quarter * 25}%`;
          progress = progress.then(() => this.report(jobId, JobStatus.IN_PROGRESS, { step: 'downloading', progress: percent })).then(() => this.say(`job ${jobId}: downloaded ${percent}`));
        }
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), counter, createWriteStream(file, { mode: 0o600 }));
    await progress;
    return { sha256: hash.digest('hex'), size: received };
  }

  private report(jobId: string, status: iotjobs.model.JobStatus, statusDetails: Record<string, string>): Promise<unknown> {
    const thingName = this.files.state.thingName;
    return this.request((clientToken) => this.jobs.publishUpdateJobExecution({ thingName, jobId, status, statusDetails, clientToken }, QOS));
  }

  /** Publishes a request with a fresh clientToken and waits for its accepted (or rejected) reply. */
  private async request(send: (clientToken: string) => Promise<unknown>): Promise<unknown> {
    const clientToken = randomUUID();
    const reply = new Promise<Reply>((resolve) => {
      this.waiting.set(clientToken, resolve);
      setTimeout(() => {
        if (this.waiting.delete(clientToken)) resolve({ error: 'no reply from the platform' });
      }, REPLY_TIMEOUT_MS).unref();
    });
    await send(clientToken);
    const { error, value } = await reply;
    if (error) throw new Error(error);
    return value;
  }

  private say(event: string): void {
    this.options.onEvent?.(event);
  }
}
