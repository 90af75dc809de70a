import { TelemetryPayload } from '@citus/contracts';
import type { EventBus, Logger } from '@citus/kit';
import type { DeviceSession } from '../domain/device-session.model.js';
import type { TelemetryEntry as Entry, TelemetryTable } from '../domain/telemetry-table.port.js';
import { deviceTimestamp, type DeadLetter, type StoredItem, type WriteOutcome } from '../domain/telemetry.model.js';
import { PipelinedCommit } from './pipelined-commit.queue.js';
import { NOT_JSON } from '../domain/rules/sql/index.js';

export interface IngestStats {
  stored: number;
  duplicates: number;
  deadLettered: number;
  failedWrites: number;
  /** Telemetry publishes the hub turned away before the rule (policy, size, topic). */
  refused: number;
}

export interface IngestOptions {
  now?: () => number;
  /**
   * Runs before each batch is written and may delay it: back-pressure from downstream (the
   * indexer). Devices then wait longer for their PUBACKs; nothing is dropped.
   */
  hold?: () => Promise<void>;
}

/**
 * The telemetry rule of the built-in hub: validates each message against the contract, writes it
 * durably (or dead-letters it with the reason) and resolves only once the write is committed, so
 * the broker acknowledges nothing that could still be lost. One batch is written at a time and the
 * next gathers meanwhile, so a store that falls behind slows the PUBACKs instead of losing messages.
 */
export class IngestService {
  private readonly writer: PipelinedCommit<Entry, WriteOutcome>;
  private readonly now: () => number;
  readonly stats: IngestStats = { stored: 0, duplicates: 0, deadLettered: 0, failedWrites: 0, refused: 0 };

  constructor(
    private readonly table: TelemetryTable,
    private readonly events: EventBus,
    private readonly logger: Logger,
    options: IngestOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.writer = new PipelinedCommit((entries) => this.flush(entries), { hold: options.hold });
  }

  /** `parsed`: the payload as a topic rule already parsed it (NOT_JSON when it is not JSON), so it is not parsed twice. */
  async ingest(session: DeviceSession, topic: string, payload: Buffer, parsed?: unknown): Promise<WriteOutcome> {
    return this.submit(this.classify(session, topic, payload, this.now(), parsed));
  }

  /**
   * Stores what a topic rule made of a message (its SELECT's object) under the message's topic,
   * held to the same telemetry schema as a payload stored as it came.
   */
  async ingestDocument(session: DeviceSession, topic: string, document: Record<string, unknown>): Promise<WriteOutcome> {
    const base = { topic, thingName: session.thingName, workspaceId: session.workspaceId, receivedAt: this.now() };
    let text: string;
    try {
      text = JSON.stringify(document);
    } catch {
      // Nested too deep to write out (the schema would refuse it too): dead-lettered, so the device's resend does not fail forever.
      return this.submit({ deadLetter: { ...base, reason: 'the rule\'s result cannot be written as JSON', payload: Buffer.alloc(0) } });
    }
    return this.submit(this.classifyDocument(base, text, document, Buffer.from(text)));
  }

  private async submit(entry: Entry): Promise<WriteOutcome> {
    try {
      return await this.writer.submit(entry);
    } catch (error) {
      this.stats.failedWrites++;
      throw error;
    }
  }

  /** Counts a telemetry publish refused before it reached `ingest`. */
  countRefused(): void {
    this.stats.refused++;
  }

  /** Commits what is queued; called on shutdown before the store closes. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  private classify(session: DeviceSession, topic: string, payload: Buffer, receivedAt: number, parsed: unknown): Entry {
    const base = { topic, thingName: session.thingName, workspaceId: session.workspaceId, receivedAt };
    const text = payload.toString('utf8');
    let json = parsed;
    if (json === undefined) {
      try {
        json = JSON.parse(text);
      } catch {
        json = NOT_JSON;
      }
    }
    if (json === NOT_JSON) return { deadLetter: { ...base, reason: 'payload is not valid JSON', payload } };
    return this.classifyDocument(base, text, json, payload);
  }

  private classifyDocument(base: Omit<DeadLetter, 'reason' | 'payload'>, text: string, json: unknown, payload: Buffer): Entry {
    const parsed = TelemetryPayload.safeParse(json);
    if (!parsed.success) {
      const reason = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
        .join('; ');
      return { deadLetter: { ...base, reason: `payload fails the telemetry schema: ${reason}`, payload } };
    }
    return {
      record: { ...base, payload: text, document: parsed.data, deviceEpoch: deviceTimestamp(parsed.data, base.receivedAt) },
    };
  }

  private async flush(entries: Entry[]): Promise<WriteOutcome[]> {
    const outcomes = await this.table.write(entries);
    const byThing = new Map<string, { workspaceId: string; items: StoredItem[] }>();
    outcomes.forEach((outcome, index) => {
      const entry = entries[index] as Entry;
      if (outcome.kind === 'dead-lettered') {
        this.stats.deadLettered++;
        const { thingName, topic } = 'deadLetter' in entry ? entry.deadLetter : entry.record;
        const reason = 'deadLetter' in entry ? entry.deadLetter.reason : 'no free epoch';
        this.logger.warn({ thingName, topic, reason }, 'telemetry dead-lettered');
      } else if (outcome.kind === 'duplicate') {
        this.stats.duplicates++;
      } else if (outcome.kind === 'stored' && 'record' in entry) {
        this.stats.stored++;
        const { thingName, workspaceId, document } = entry.record;
        const stored = byThing.get(thingName) ?? { workspaceId, items: [] };
        stored.items.push({ topic: outcome.topic, epoch: outcome.epoch, payload: document });
        byThing.set(thingName, stored);
      }
    });
    for (const [thingName, { workspaceId, items }] of byThing) {
      this.events.emit('telemetry.stored', { workspaceId, thingName, items });
    }
    return outcomes;
  }
}
