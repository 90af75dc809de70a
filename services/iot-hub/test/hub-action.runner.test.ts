import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HubActionRunner } from '../src/adapters/rules/hub-action.runner.js';
import type { ShadowService } from '../src/app/shadow.service.js';
import type { CompiledAction } from '../src/domain/rules/compiled-rule.js';
import type { ActionCall } from '../src/domain/rules/rule-action.port.js';
import type { MessagePublisher, OutboundMessage } from '../src/domain/message-publisher.port.js';
import { compileTemplate, type RuleMessage } from '../src/domain/rules/sql/index.js';

const message = (json: unknown): RuleMessage => ({ topic: 'telemetry/ours-1', payload: Buffer.from(JSON.stringify(json)), json, clientId: 'ours-1', principal: 'p', timestamp: 0 });
const call = (json: unknown = {}): ActionCall => ({ workspaceId: 'ws_a', ruleName: 'r', message: message(json), output: { value: { v: 1 } }, signingSecret: 's' });
const app = (path?: string): CompiledAction => ({ kind: 'app', resource: 'shop', app: 'shop', ...(path === undefined ? {} : { path: compileTemplate(path) }) });

describe('HubActionRunner', () => {
  let server: Server;
  let base: string;
  const paths: string[] = [];
  const published: OutboundMessage[] = [];
  let runner: HubActionRunner;

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    runner = new HubActionRunner({
      publisher: { publish: async (sent) => void published.push(sent) },
      shadows: {} as ShadowService,
      things: { workspaceOfThing: (thing) => (thing.startsWith('ours') ? 'ws_a' : thing.startsWith('theirs') ? 'ws_b' : undefined) },
      apps: { urlOf: async () => ({ url: `${base}/shop/` }) },
      httpTimeoutMs: 2000,
      publicHttpOnly: true,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts an app action under the app\'s route prefix', async () => {
    await expect(runner.run(app('/orders/${topic(2)}'), call())).resolves.toEqual({ ok: true });
    await expect(runner.run(app(), call())).resolves.toEqual({ ok: true });
    expect(paths.splice(0)).toEqual(['/shop/orders/ours-1', '/shop/']);
  });

  it('refuses a path that climbs above the route prefix, without sending anything', async () => {
    for (const path of ['/../admin', '/%2e%2e/admin', '/a/../../admin']) {
      await expect(runner.run(app(path), call())).resolves.toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/leaves the app/) });
    }
    expect(paths).toEqual([]);
  });

  it('keeps what a path (or a device\'s value in it) holds under the app, never on another host', async () => {
    for (const path of ['/http://169.254.169.254/latest', '/\\\\evil.example/x', '/${dest}']) {
      await expect(runner.run(app(path), call({ dest: `${base}/other-app/` }))).resolves.toEqual({ ok: true });
    }
    const sent = paths.splice(0);
    expect(sent).toHaveLength(3);
    for (const path of sent) expect(path.startsWith('/shop/')).toBe(true);
  });

  it('republishes only to application topics of the rule\'s workspace', async () => {
    const republish = (topic: string): CompiledAction => ({ kind: 'republish', resource: topic, topic: compileTemplate(topic), qos: 0 });
    await expect(runner.run(republish('things/${topic(2)}/echo'), call())).resolves.toEqual({ ok: true });
    expect(published.splice(0).map((sent) => sent.topic)).toEqual(['things/ours-1/echo']);
    for (const topic of ['things/theirs-1/cmd', 'things/nobody/cmd', 'telemetry/ours-1', '$aws/things/ours-1/shadow/update', 'things/+/cmd']) {
      await expect(runner.run(republish(topic), call())).resolves.toMatchObject({ ok: false, retryable: false });
    }
    expect(published).toEqual([]);
  });

  it('refuses an http action to a non-public address when rules reach public ones only', async () => {
    const http: CompiledAction = { kind: 'http', resource: base, url: compileTemplate(`${base}/hook`), origin: base, headers: [] };
    await expect(runner.run(http, call())).resolves.toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/not a public address/) });
    expect(paths).toEqual([]);
  });
});

describe('HubActionRunner.changesNothing', () => {
  /** A publisher that says whether the topic has an audience, as the broker does, and records what it was asked. */
  class Audience implements MessagePublisher {
    heard = false;
    readonly asked: Array<[string, number]> = [];
    readonly published: OutboundMessage[] = [];
    async publish(message: OutboundMessage): Promise<void> {
      this.published.push(message);
    }
    hasAudience(topic: string, qos: 0 | 1): boolean {
      this.asked.push([topic, qos]);
      return this.heard;
    }
  }
  const runnerWith = (publisher: MessagePublisher) =>
    new HubActionRunner({
      publisher,
      shadows: {} as ShadowService,
      things: { workspaceOfThing: (thing) => (thing.startsWith('ours') ? 'ws_a' : thing.startsWith('theirs') ? 'ws_b' : undefined) },
      httpTimeoutMs: 2000,
      publicHttpOnly: true,
    });
  const republish = (topic: string, qos: 0 | 1 = 1): CompiledAction => ({ kind: 'republish', resource: topic, topic: compileTemplate(topic), qos });

  it('is true for a valid republish nobody hears, asking about the rendered topic at the action\'s QoS', () => {
    const audience = new Audience();
    const runner = runnerWith(audience);
    expect(runner.changesNothing(republish('things/${topic(2)}/echo', 0), call())).toBe(true);
    expect(runner.changesNothing(republish('things/ours-1/cmd', 1), call())).toBe(true);
    expect(audience.asked).toEqual([['things/ours-1/echo', 0], ['things/ours-1/cmd', 1]]);
    expect(audience.published).toEqual([]);
  });

  it('is false when someone would receive the republish', () => {
    const audience = new Audience();
    audience.heard = true;
    expect(runnerWith(audience).changesNothing(republish('things/ours-1/echo'), call())).toBe(false);
    expect(audience.asked).toEqual([['things/ours-1/echo', 1]]);
  });

  it('is false for a topic the republish may not use, so its failure still reaches the error action', async () => {
    const audience = new Audience();
    const runner = runnerWith(audience);
    for (const topic of ['things/theirs-1/cmd', 'things/nobody/cmd', 'telemetry/ours-1', '$aws/things/ours-1/shadow/update', 'things/+/cmd', 'things/ours-1/#']) {
      expect([topic, runner.changesNothing(republish(topic), call())]).toEqual([topic, false]);
      await expect(runner.run(republish(topic), call())).resolves.toMatchObject({ ok: false, retryable: false });
    }
    expect(audience.asked).toEqual([]);
    expect(audience.published).toEqual([]);
  });

  it('is false for every action but a republish, whatever the audience', () => {
    const audience = new Audience();
    const runner = runnerWith(audience);
    const others: CompiledAction[] = [
      { kind: 'shadow', resource: 'shadow' },
      { kind: 'http', resource: 'https://hooks.example', url: compileTemplate('https://hooks.example/in'), origin: 'https://hooks.example', headers: [] },
      app('/orders'),
      { kind: 'telemetryTable', resource: 'telemetry' },
    ];
    for (const action of others) expect([action.kind, runner.changesNothing(action, call())]).toEqual([action.kind, false]);
  });

  it('is false when the publisher cannot tell who would receive a message', () => {
    const runner = runnerWith({ publish: async () => undefined });
    expect(runner.changesNothing(republish('things/ours-1/echo'), call())).toBe(false);
  });
});
