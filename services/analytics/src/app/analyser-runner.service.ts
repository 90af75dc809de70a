import type { AnalyserKind, AnalyserRun, TelemetryItem } from '@citus/contracts';
import type { Logger } from '@citus/kit';
import { analysisTopic, imageOf, type AnalyserRepository, type StoredAnalyser } from '../domain/analyser.model.js';
import type { AnalysisFindings, AnalysisOutcome, AnalysisSink, ImageAnalyser } from '../domain/analyser.port.js';
import type { SecretReader } from '../domain/secret.port.js';

export interface AnalyserRunnerPorts {
  analysers: AnalyserRepository;
  secrets: SecretReader;
  vendors: Readonly<Record<AnalyserKind, ImageAnalyser>>;
  /** Absent where no hub runs in the process: results then cannot be stored, and runs fail with that error. */
  sink?: AnalysisSink;
}

/** Calls one analyser has under way at most; images past it are skipped (and logged), never queued. */
export const MAX_CALLS_PER_ANALYSER = 4;

type Failure = { status: 'timeout' | 'error'; error: string };
type Image = { analyser: StoredAnalyser; thingName: string; item: TelemetryItem; imageUrl: string | 'invalid' };

/**
 * Sends the images of stored telemetry to the workspace's analysers and stores what they find as
 * telemetry. A time-out or an error is recorded as the analyser's last run and logged (never with
 * the key); nothing is retried, so a failing vendor costs one call per image and no more.
 */
export class AnalyserRunner {
  private readonly busy = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly ports: AnalyserRunnerPorts,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async onTelemetry(batch: { workspaceId: string; thingName: string; items: TelemetryItem[] }): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const analysers = await this.ports.analysers.listEnabled(batch.workspaceId);
    for (const analyser of analysers) {
      for (const item of batch.items) {
        const imageUrl = imageOf(analyser.definition, batch.thingName, item.topic, item.payload);
        if (imageUrl !== undefined) this.start({ analyser, thingName: batch.thingName, item, imageUrl });
      }
    }
  }

  /** Aborts the calls under way and waits for them to be recorded. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private start(image: Image): void {
    const id = image.analyser.id;
    const calls = this.busy.get(id) ?? 0;
    if (calls >= MAX_CALLS_PER_ANALYSER) {
      this.logger.warn({ analyserId: id, thingName: image.thingName, topic: image.item.topic }, 'analyser busy: image skipped');
      return;
    }
    this.busy.set(id, calls + 1);
    const run = this.run(image)
      .catch((error: unknown) => this.logger.error({ err: error, analyserId: id }, 'analyser run failed'))
      .finally(() => {
        const left = (this.busy.get(id) ?? 1) - 1;
        if (left > 0) this.busy.set(id, left);
        else this.busy.delete(id);
      });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async run({ analyser, thingName, item, imageUrl }: Image): Promise<void> {
    const started = this.now();
    const outcome = await this.call(analyser, imageUrl);
    const failure = outcome.ok ? await this.store(analyser, thingName, item, imageUrl, outcome.findings) : outcome;
    const run: AnalyserRun = {
      at: new Date(started).toISOString(),
      thingName,
      status: failure ? failure.status : 'ok',
      durationMs: Math.max(0, Math.round(this.now() - started)),
      ...(failure ? { error: failure.error } : {}),
    };
    await this.ports.analysers.recordRun(analyser.workspaceId, analyser.id, run);
    const log = { analyserId: analyser.id, kind: analyser.definition.kind, thingName, topic: item.topic, status: run.status, durationMs: run.durationMs };
    if (failure) this.logger.warn({ ...log, error: failure.error }, 'analyser run failed');
    else this.logger.info(log, 'image analysed');
  }

  /** Stores the findings as the thing's telemetry; the failure, if it could not be. */
  private async store(analyser: StoredAnalyser, thingName: string, item: TelemetryItem, imageUrl: string, findings: AnalysisFindings): Promise<Failure | undefined> {
    if (!this.ports.sink) return { status: 'error', error: 'no telemetry store runs in this process' };
    const { name, kind } = analyser.definition;
    const payload = { analyser: name, kind, source: { topic: item.topic, epoch: item.epoch }, image: imageUrl, ...findings };
    try {
      await this.ports.sink.store({ workspaceId: analyser.workspaceId, thingName, topic: analysisTopic(thingName, name), payload });
      return undefined;
    } catch (error) {
      return { status: 'error', error: `the result could not be stored: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** The vendor's outcome; a thrown error (a secret that cannot be read, a failing adapter) is a failed run, so it is recorded. */
  private async call(analyser: StoredAnalyser, imageUrl: string): Promise<AnalysisOutcome> {
    try {
      return await this.callVendor(analyser, imageUrl);
    } catch (error) {
      return { ok: false, status: 'error', error: error instanceof Error ? error.message : String(error) };
    }
  }

  private async callVendor(analyser: StoredAnalyser, imageUrl: string): Promise<AnalysisOutcome> {
    if (imageUrl === 'invalid') return { ok: false, status: 'error', error: `the field "${analyser.definition.imageField}" holds no http(s) URL` };
    const { secretName, endpoint, timeoutMs, kind } = analyser.definition;
    const apiKey = await this.ports.secrets.reveal(analyser.workspaceId, secretName);
    if (apiKey === undefined) return { ok: false, status: 'error', error: `the secret "${secretName}" is not set` };
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping.signal]);
    return this.ports.vendors[kind].analyse({ endpoint, apiKey, imageUrl, signal });
  }
}
