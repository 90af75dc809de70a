import { postWebhook, signWebhook } from '@citus/kit';
import type { ShadowService } from '../../app/shadow.service.js';
import type { ThingDirectory } from '../../domain/device-session.model.js';
import type { MessagePublisher } from '../../domain/message-publisher.port.js';
import type { CompiledAction } from '../../domain/rules/compiled-rule.js';
import { bodyOf, type ActionCall, type ActionOutcome, type ActionRunner } from '../../domain/rules/rule-action.port.js';
import { thingOfTopic } from '../../domain/topic-thing.js';

/** Port: where an app deployed in a workspace takes requests, or why it cannot. */
export interface AppEndpoints {
  /** `retryable` false: trying again cannot help (no such deployment); true by default. */
  urlOf(workspaceId: string, app: string): Promise<{ url: string } | { error: string; retryable?: boolean }>;
}

export interface HubActionRunnerDeps {
  publisher: MessagePublisher;
  shadows: ShadowService;
  things: ThingDirectory;
  /** Apps deployed on the platform; without it, app actions fail with the reason. */
  apps?: AppEndpoints;
  /** Per HTTP request. */
  httpTimeoutMs: number;
  /** http actions may reach public addresses only (CITUS_RULE_HTTP_PRIVATE=deny); app actions go to the platform's own deployments. */
  publicHttpOnly: boolean;
}

const failed = (error: string, retryable = false): ActionOutcome => ({ ok: false, retryable, error });
const OK: ActionOutcome = { ok: true };

/**
 * The actions the built-in hub takes for topic rules (the telemetry table is written by the ingest
 * path before the PUBACK). Each stays inside the rule's workspace: a republish or shadow action
 * names a thing of that workspace, or it fails without touching anything.
 */
export class HubActionRunner implements ActionRunner {
  constructor(private readonly deps: HubActionRunnerDeps) {}

  run(action: CompiledAction, call: ActionCall): Promise<ActionOutcome> {
    switch (action.kind) {
      case 'republish':
        return this.republish(action, call);
      case 'shadow':
        return this.shadow(action, call);
      case 'http': {
        const url = action.url.render(call.message);
        const parsed = URL.parse(url);
        // The failure names the origin and path only: a query may hold a receiver's token.
        if (parsed?.origin !== action.origin) return Promise.resolve(failed(`http: the URL's templates lead away from ${action.origin}`));
        return this.http(url, action.headers.map(({ key, value }) => [key, value.render(call.message)] as const), call, this.deps.publicHttpOnly);
      }
      case 'app':
        return this.app(action, call);
      case 'telemetryTable':
        return Promise.resolve(failed('the telemetry table is written before the PUBACK, not by the dispatcher'));
    }
  }

  /** A republish that would pass its checks but reach no client: nothing to do. */
  changesNothing(action: CompiledAction, call: ActionCall): boolean {
    const hasAudience = this.deps.publisher.hasAudience;
    if (action.kind !== 'republish' || !hasAudience) return false;
    const topic = this.republishTopic(action, call);
    return typeof topic === 'string' && !hasAudience.call(this.deps.publisher, topic, action.qos);
  }

  private async republish(action: Extract<CompiledAction, { kind: 'republish' }>, call: ActionCall): Promise<ActionOutcome> {
    const topic = this.republishTopic(action, call);
    if (typeof topic !== 'string') return topic;
    const payload = 'binary' in call.output ? call.output.binary : call.output.value;
    await this.deps.publisher.publish({ topic, payload, qos: action.qos });
    return OK;
  }

  /** The topic a republish sends to, or why it may not: an application topic of a thing of the rule's workspace. */
  private republishTopic(action: Extract<CompiledAction, { kind: 'republish' }>, call: ActionCall): string | ActionOutcome {
    const topic = action.topic.render(call.message);
    const target = thingOfTopic(topic);
    if (!target || target.family !== 'app' || topic.includes('+') || topic.includes('#')) {
      return failed(`republish topic ${JSON.stringify(topic)} is not an application topic things/{thingName}/...`);
    }
    if (this.deps.things.workspaceOfThing(target.thingName) !== call.workspaceId) return failed(`republish topic ${JSON.stringify(topic)}: no thing ${target.thingName} in this workspace`);
    return topic;
  }

  private async shadow(action: Extract<CompiledAction, { kind: 'shadow' }>, call: ActionCall): Promise<ActionOutcome> {
    const thingName = action.thingName ? action.thingName.render(call.message) : (call.message.topic.split('/')[1] ?? '');
    if (this.deps.things.workspaceOfThing(thingName) !== call.workspaceId) return failed(`shadow: no thing ${JSON.stringify(thingName)} in this workspace`);
    if ('binary' in call.output) return failed('shadow: the rule gave bytes, not a shadow update document');
    const shadowName = action.shadowName?.render(call.message);
    const outcome = await this.deps.shadows.update({ workspaceId: call.workspaceId, thingName, ...(shadowName ? { shadowName } : {}) }, { body: call.output.value });
    if (outcome.ok) return OK;
    // Throttled or failed inside the hub: worth another try; a refused document or version is not.
    return failed(`shadow update rejected: ${outcome.error.code} ${outcome.error.message}`, outcome.error.code === 429 || outcome.error.code === 500);
  }

  private async app(action: Extract<CompiledAction, { kind: 'app' }>, call: ActionCall): Promise<ActionOutcome> {
    if (!this.deps.apps) return failed(`app ${action.app}: no app registry in reach of the hub`);
    const endpoint = await this.deps.apps.urlOf(call.workspaceId, action.app);
    if ('error' in endpoint) return failed(`app ${action.app}: ${endpoint.error}`, endpoint.retryable ?? true);
    const root = new URL(endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`);
    const path = action.path?.render(call.message) ?? '/';
    // Appended to the app's root, never resolved against it: a path (or a device's value in its
    // template) cannot lead to another host, or above the app's route prefix.
    const target = URL.parse(`${root.origin}${root.pathname}${path.replace(/^\/+/, '')}`);
    if (!target || target.origin !== root.origin || !target.pathname.startsWith(root.pathname)) {
      return failed(`app ${action.app}: the path ${JSON.stringify(path.slice(0, 200))} leaves the app`);
    }
    return this.http(target.toString(), [], call, false);
  }

  private async http(url: string, headers: ReadonlyArray<readonly [string, string]>, call: ActionCall, publicOnly: boolean): Promise<ActionOutcome> {
    const { body, contentType } = bodyOf(call.output);
    const attempt = await postWebhook({
      url,
      body,
      contentType,
      signature: signWebhook(call.signingSecret, Math.floor(Date.now() / 1000), body),
      headers: Object.fromEntries(headers),
      userAgent: 'citus-rules/1',
      timeoutMs: this.deps.httpTimeoutMs,
      publicOnly,
    });
    return attempt.ok ? OK : failed(`POST ${new URL(url).origin}${new URL(url).pathname}: ${attempt.error}`, attempt.retryable);
  }
}
