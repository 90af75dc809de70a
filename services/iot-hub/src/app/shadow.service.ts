import {
  MAX_SHADOW_STATE_BYTES,
  shadowTopicPrefix,
  type ShadowDeleteAccepted,
  type ShadowDocument,
  type ShadowDocuments,
  type ShadowErrorResponse,
  type ShadowUpdateAccepted,
  type ShadowUpdateRequest,
} from '@citus/contracts';
import type { Logger } from '@citus/kit';
import type { MessagePublisher, OutboundMessage } from '../domain/message-publisher.port.js';
import {
  checkRequest,
  checkShadowName,
  checkUpdate,
  clientTokenOf,
  readInput,
  stateBytes,
  TOO_LARGE,
  type ShadowInput,
} from '../domain/shadow/shadow-request.rules.js';
import { applyPatch, deltaOfContent, metadataOf } from '../domain/shadow/shadow-state.rules.js';
import {
  ok,
  type Checked,
  type ShadowError,
  type ShadowKey,
  type ShadowRepository,
  type ShadowWrite,
  type StoredShadow,
} from '../domain/shadow/shadow.model.js';
import { PipelinedCommit } from './pipelined-commit.queue.js';

/** The shadow a request names: the thing from the topic or path, the workspace from the caller. */
export interface ShadowTarget {
  workspaceId: string;
  thingName: string;
  /** Absent for the classic shadow. */
  shadowName?: string;
}

export interface ShadowServiceOptions {
  now?: () => number;
  /** Shadows kept in memory; the least recently used idle ones go first. */
  maxCached?: number;
}

type Operation = 'get' | 'update' | 'delete';

/** One request in flight: where its replies go and what they echo. */
interface Call {
  key: ShadowKey;
  /** The shadow's cache and lane key; undefined when the shadow name is invalid. */
  id?: string;
  prefix: string;
  clientToken?: string;
  /** The requesting MQTT client; undefined for HTTP, which gets its answer in the response instead. */
  replyTo?: string;
}

interface CachedShadow extends StoredShadow {
  /** Writes submitted but not yet committed: such a shadow is never evicted. */
  pending: number;
}

const INTERNAL: ShadowError = { code: 500, message: 'Internal service failure' };
const seconds = (ms: number): number => Math.floor(ms / 1000);
const idOf = (key: ShadowKey): string => `${key.workspaceId}\u0000${key.thingName}\u0000${key.shadowName}`;

/**
 * AWS IoT Device Shadow: get, update and delete for MQTT handlers and HTTP routes alike. The
 * in-memory copy of each loaded shadow is the authority for versions, so requests never wait for
 * the store to decide; the writes of many requests are committed in one transaction, and only
 * then are the replies (accepted, delta, documents) published. Each shadow has a lane: its
 * replies, rejections included, go out in the order its requests came in.
 */
export class ShadowService {
  private readonly cache = new Map<string, CachedShadow>();
  /** Things whose shadows are being deleted: the store still has their rows until the delete commits. */
  private readonly forgetting = new Set<string>();
  /** Which cached shadow each queued write came from: a write whose shadow was dropped since is not committed. */
  private readonly owners = new WeakMap<ShadowWrite, CachedShadow>();
  private readonly lanes = new Map<string, Promise<void>>();
  /** Answers, per write, whether it was committed (false: it was dropped, see flush). */
  private readonly writer: PipelinedCommit<ShadowWrite, boolean>;
  private readonly now: () => number;
  private readonly maxCached: number;

  constructor(
    private readonly repository: ShadowRepository,
    private readonly publisher: MessagePublisher,
    private readonly logger: Logger,
    options: ShadowServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxCached = options.maxCached ?? 20_000;
    // One commit at a time: the updates that come while it is being written share the next one.
    this.writer = new PipelinedCommit((writes) => this.flush(writes));
  }

  get(target: ShadowTarget, input: ShadowInput, replyTo?: string): Promise<Checked<ShadowDocument>> {
    return this.run('get', target, input, replyTo, checkRequest, (call) => this.readShadow(call));
  }

  update(target: ShadowTarget, input: ShadowInput, replyTo?: string): Promise<Checked<ShadowUpdateAccepted>> {
    return this.run('update', target, input, replyTo, checkUpdate, (call, request) => this.updateShadow(call, request));
  }

  delete(target: ShadowTarget, input: ShadowInput, replyTo?: string): Promise<Checked<ShadowDeleteAccepted>> {
    return this.run('delete', target, input, replyTo, checkRequest, (call) => this.deleteShadow(call));
  }

  /** Commits what is queued; called on shutdown before the store closes. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /**
   * The thing was deleted: its shadows, classic and named, leave the store and the memory. Queued
   * writes commit first, so none lands after the delete. Nothing is published: the thing is gone.
   * A thing of the same name later starts again from version 1.
   */
  async forgetThing(workspaceId: string, thingName: string): Promise<number> {
    const prefix = idOf({ workspaceId, thingName, shadowName: '' });
    // Until the delete commits, a request for these shadows starts from nothing rather than from
    // the rows the store still holds; what it writes is committed after the delete.
    this.forgetting.add(prefix);
    try {
      await this.writer.drain();
      for (const id of this.cache.keys()) if (id.startsWith(prefix)) this.cache.delete(id);
      return await this.repository.deleteThing(workspaceId, thingName);
    } finally {
      this.forgetting.delete(prefix);
    }
  }

  private readShadow(call: Call): Promise<Checked<ShadowDocument>> {
    // Read in the lane, so a get sees the updates sent before it, committed.
    return this.inLane(call, async () => {
      const shadow = this.load(call);
      if (!shadow.content) return this.reject(call, 'get', notFound(call.key));
      const { state, metadata } = shadow.content;
      const delta = deltaOfContent(shadow.content)?.state;
      const document: ShadowDocument = {
        state: { ...state, ...(delta && { delta }) },
        metadata,
        version: shadow.version,
        timestamp: seconds(this.now()),
        ...echo(call),
      };
      if (call.replyTo !== undefined) await this.send({ topic: `${call.prefix}/get/accepted`, payload: document, requester: call.replyTo });
      return ok(document);
    });
  }

  private updateShadow(call: Call, request: ShadowUpdateRequest): Promise<Checked<ShadowUpdateAccepted>> {
    const shadow = this.load(call);
    if (request.version !== undefined && request.version !== shadow.version) {
      return this.refuse(call, 'update', { code: 409, message: 'Version conflict' });
    }
    const now = this.now();
    const timestamp = seconds(now);
    const content = applyPatch(shadow.content, request.state, timestamp);
    if (stateBytes(content.state) > MAX_SHADOW_STATE_BYTES) return this.refuse(call, 'update', { code: 413, message: TOO_LARGE });
    const previous = shadow.content && { ...shadow.content, version: shadow.version };
    const version = shadow.version + 1;
    const committed = this.commit(call, shadow, { version, content }, now);
    return this.inLane(call, async () => {
      if (!(await committed)) return this.reject(call, 'update', INTERNAL);
      const accepted: ShadowUpdateAccepted = {
        state: request.state,
        metadata: metadataOf(request.state, timestamp) as ShadowUpdateAccepted['metadata'],
        version,
        timestamp,
        ...echo(call),
      };
      await this.send({ topic: `${call.prefix}/update/accepted`, payload: accepted, requester: call.replyTo });
      const delta = deltaOfContent(content);
      if (delta) await this.send({ topic: `${call.prefix}/update/delta`, payload: { ...delta, version, timestamp, ...echo(call) } });
      const documents: ShadowDocuments = { ...(previous && { previous }), current: { ...content, version }, timestamp, ...echo(call) };
      await this.send({ topic: `${call.prefix}/update/documents`, payload: documents });
      return ok(accepted);
    });
  }

  private deleteShadow(call: Call): Promise<Checked<ShadowDeleteAccepted>> {
    const shadow = this.load(call);
    if (!shadow.content) return this.refuse(call, 'delete', notFound(call.key));
    const now = this.now();
    // The version counter outlives the document: a new shadow continues from it, as on AWS IoT.
    const committed = this.commit(call, shadow, { version: shadow.version }, now);
    const accepted: ShadowDeleteAccepted = { version: shadow.version, timestamp: seconds(now), ...echo(call) };
    return this.inLane(call, async () => {
      if (!(await committed)) return this.reject(call, 'delete', INTERNAL);
      await this.send({ topic: `${call.prefix}/delete/accepted`, payload: accepted, requester: call.replyTo });
      return ok(accepted);
    });
  }

  /** Checks the request, then runs the operation; a fault of the hub is answered with AWS's 500. */
  private async run<T, R>(
    operation: Operation,
    target: ShadowTarget,
    input: ShadowInput,
    replyTo: string | undefined,
    check: (value: unknown) => Checked<T>,
    body: (call: Call, request: T) => Promise<Checked<R>>,
  ): Promise<Checked<R>> {
    const name = checkShadowName(target.shadowName);
    const key = { workspaceId: target.workspaceId, thingName: target.thingName, shadowName: name.ok ? name.value : '' };
    const raw = readInput(input);
    const call: Call = {
      key,
      id: name.ok ? idOf(key) : undefined,
      prefix: shadowTopicPrefix(target.thingName, target.shadowName),
      clientToken: raw.ok ? clientTokenOf(raw.value) : undefined,
      replyTo,
    };
    const request = !name.ok ? name : !raw.ok ? raw : check(raw.value);
    if (!request.ok) return this.refuse(call, operation, request.error);
    try {
      return await body(call, request.value);
    } catch (error) {
      this.logger.error({ err: error, thingName: key.thingName, shadowName: key.shadowName, operation }, 'shadow request failed');
      return this.reject(call, operation, INTERNAL);
    }
  }

  /** The shadow from memory, or loaded from the store (a missing one is remembered as version 0). */
  private load(call: Call): CachedShadow {
    const id = call.id as string;
    const cached = this.cache.get(id);
    // Map order is the eviction order: touching a shadow moves it to the end.
    this.cache.delete(id);
    const stored = cached || this.isForgetting(id) ? undefined : this.repository.load(call.key);
    const shadow = cached ?? { ...(stored ?? { version: 0 }), pending: 0 };
    this.cache.set(id, shadow);
    if (!cached) this.trim();
    return shadow;
  }

  private isForgetting(id: string): boolean {
    if (this.forgetting.size === 0) return false;
    for (const prefix of this.forgetting) if (id.startsWith(prefix)) return true;
    return false;
  }

  private trim(): void {
    for (const [id, shadow] of this.cache) {
      if (this.cache.size <= this.maxCached) return;
      if (shadow.pending === 0) this.cache.delete(id);
    }
  }

  /** Applies the change in memory at once and resolves once it is committed (false if the write failed). */
  private commit(call: Call, shadow: CachedShadow, next: StoredShadow, now: number): Promise<boolean> {
    shadow.version = next.version;
    shadow.content = next.content;
    shadow.pending++;
    const write: ShadowWrite = { ...call.key, ...next, updatedAt: now };
    this.owners.set(write, shadow);
    return this.writer.submit(write).then(
      (committed) => {
        if (!committed) this.logger.warn({ thingName: call.key.thingName, version: next.version }, 'shadow write dropped: it built on a state the store did not take');
        return committed;
      },
      (error: unknown) => {
        this.logger.error({ err: error, thingName: call.key.thingName }, 'shadow write failed');
        return false;
      },
    ).finally(() => shadow.pending--);
  }

  /**
   * One transaction for the batch; if it fails, the batch's shadows are reloaded from the store next
   * time. A write made on a shadow dropped since (an earlier batch of it failed, or its thing was
   * deleted) is not committed: it built on a state the store never took.
   */
  private async flush(writes: ShadowWrite[]): Promise<boolean[]> {
    const kept = writes.map((write) => this.cache.get(idOf(write)) === this.owners.get(write));
    const current = writes.filter((_write, index) => kept[index]);
    try {
      if (current.length > 0) await this.repository.write(current);
    } catch (error) {
      for (const write of writes) this.cache.delete(idOf(write));
      throw error;
    }
    return kept;
  }

  /** Runs `step` after every earlier step of the same shadow. */
  private inLane<R>(call: Call, step: () => Promise<R>): Promise<R> {
    const id = call.id;
    if (id === undefined) return step();
    const result = (this.lanes.get(id) ?? Promise.resolve()).then(step);
    const settled = () => undefined;
    const tail = result.then(settled, settled);
    this.lanes.set(id, tail);
    void tail.then(() => {
      if (this.lanes.get(id) === tail) this.lanes.delete(id);
    });
    return result;
  }

  /** A rejection in its place in the shadow's lane. */
  private refuse(call: Call, operation: Operation, error: ShadowError): Promise<{ ok: false; error: ShadowError }> {
    return this.inLane(call, () => this.reject(call, operation, error));
  }

  /** Publishes the rejection on `/rejected` (MQTT only: HTTP answers with its status instead). */
  private async reject(call: Call, operation: Operation, error: ShadowError): Promise<{ ok: false; error: ShadowError }> {
    if (call.replyTo !== undefined) {
      const payload: ShadowErrorResponse = { ...error, timestamp: seconds(this.now()), ...echo(call) };
      await this.send({ topic: `${call.prefix}/${operation}/rejected`, payload, requester: call.replyTo });
    }
    return { ok: false, error };
  }

  /** A reply that cannot be delivered is logged: the change it reports is committed either way. */
  private async send(message: OutboundMessage): Promise<void> {
    try {
      await this.publisher.publish(message);
    } catch (error) {
      this.logger.warn({ err: error, topic: message.topic }, 'shadow reply not delivered');
    }
  }
}

const echo = (call: Call): { clientToken?: string } => (call.clientToken === undefined ? {} : { clientToken: call.clientToken });

/** AWS's 404 names the shadow: the thing's name for its classic shadow. */
const notFound = (key: ShadowKey): ShadowError => ({
  code: 404,
  message: `No shadow exists with name: '${key.shadowName || key.thingName}'`,
});
