import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertWebhookBody, type AlertRule, type AlertRuleRequest, type Anomaly } from '@citus/contracts';
import { AppError, createLogger, EventBus, HealthRegistry, Shutdown, type ServiceContext } from '@citus/kit';
import { createAlertingModule, type AlertingDeps, type AlertingModule } from '../src/alerting.module.js';
import { MAX_DELIVERIES_PER_RULE } from '../src/app/alert-dispatcher.service.js';
import { eventually, signatureVerifies, startStandIn, type StandIn } from './support/alert-stand-ins.js';

const WS = 'ws_alerts';
const HOOK_SECRET = 'whsec_9f1c2e-never-logged';

const anomaly = (over: Partial<Anomaly> = {}): Anomaly => ({
  id: `anm_${Math.random().toString(16).slice(2)}`,
  workspaceId: WS,
  thingName: 'pump-1',
  field: 'temperature',
  epoch: Date.UTC(2025, 0, 1),
  value: 99,
  score: 0.999,
  detector: 'windowed-gaussian',
  ...over,
});

// The module on real SQLite files and a real event bus, calling a real local HTTP server.
describe('the alerting module', () => {
  const logged: string[] = [];
  let dataDir: string;
  let ctx: ServiceContext;
  let module: AlertingModule;
  let receiver: StandIn;

  const boot = (dir: string, delivery = { webhookTimeoutMs: 300, webhookAttempts: 3, backoffMs: 20 }, deps: AlertingDeps = {}) => {
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logged.push(line) } });
    ctx = {
      logger,
      events: new EventBus(logger),
      health: new HealthRegistry(),
      shutdown: new Shutdown(logger),
      dataDir: dir,
      authenticate: (_req, _res, next) => next(new AppError('unauthorized', 'not under test here')),
    };
    module = createAlertingModule(ctx, { ...deps, delivery });
    module.start({ telemetryEvents: true });
    return module;
  };
  const webhookRule = (over: Partial<AlertRuleRequest> = {}): AlertRuleRequest => ({
    name: 'hot pump',
    enabled: true,
    match: {},
    trigger: { anomaly: {} },
    actions: [{ webhook: { url: `${receiver.url}/hooks/citus`, secretName: 'hook' } }],
    cooldownSeconds: 3600,
    ...over,
  });
  const lastDelivery = (rule: AlertRule) =>
    eventually(() => module.rules.get(WS, rule.id), (current) => current.lastDelivery !== null, 'a delivery to be recorded').then((r) => r.lastDelivery);

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'citus-alerts-'));
    receiver = await startStandIn();
    boot(dataDir);
    await module.secrets.put(WS, 'hook', HOOK_SECRET);
  });
  afterEach(async () => {
    await ctx.shutdown.run('test over');
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('seals secrets under a key file of mode 0600 that outlives a restart; the store never holds a value', async () => {
    expect(statSync(join(dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'secrets.key')).size).toBe(32);
    for (const file of readdirSync(dataDir).filter((name) => name.startsWith('alerts.db'))) {
      expect(readFileSync(join(dataDir, file)).includes(HOOK_SECRET)).toBe(false);
    }
    expect(await module.secrets.list(WS)).toEqual([{ name: 'hook', createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect(await module.secrets.reveal('ws_other', 'hook')).toBeUndefined();
    await ctx.shutdown.run('restart');
    boot(dataDir);
    expect(await module.secrets.reveal(WS, 'hook')).toBe(HOOK_SECRET);
  });

  it('posts a signed webhook for an anomaly, which verifies with the secret and no other', async () => {
    const rule = await module.rules.create(WS, webhookRule({ trigger: { anomaly: { minScore: 0.99 } } }));
    ctx.events.emit('anomaly.detected', anomaly({ score: 0.5 }));
    ctx.events.emit('anomaly.detected', anomaly({ stream: 'engine' }));
    const delivery = await lastDelivery(rule);
    expect(delivery).toEqual({ at: expect.any(String), thingName: 'pump-1', ok: true, actions: [{ action: 'webhook', ok: true, attempts: 1, httpStatus: 200 }] });
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.path).toBe('/hooks/citus');
    expect(signatureVerifies(request?.headers['x-citus-signature'], HOOK_SECRET, request!.body)).toBe(true);
    expect(signatureVerifies(request?.headers['x-citus-signature'], 'another secret', request!.body)).toBe(false);
    expect(AlertWebhookBody.parse(JSON.parse(request!.body.toString()))).toMatchObject({
      ruleId: rule.id,
      thingName: 'pump-1',
      stream: 'engine',
      field: 'temperature',
      value: 99,
      score: 0.999,
      trigger: 'anomaly',
    });
    expect(logged.join('\n')).not.toContain(HOOK_SECRET);
  });

  it('fires once per series within the cool-down, and afresh once the rule changes', async () => {
    const rule = await module.rules.create(WS, webhookRule());
    for (let i = 0; i < 5; i++) ctx.events.emit('anomaly.detected', anomaly({ epoch: 1_000 + i }));
    ctx.events.emit('anomaly.detected', anomaly({ thingName: 'pump-2' }));
    await eventually(() => receiver.received.length, (count) => count >= 2, 'two deliveries');
    await new Promise((done) => setTimeout(done, 200));
    expect(receiver.received.map((request) => JSON.parse(request.body.toString()).thingName).sort()).toEqual(['pump-1', 'pump-2']);
    await module.rules.replace(WS, rule.id, webhookRule({ name: 'hot pump, renamed' }));
    ctx.events.emit('anomaly.detected', anomaly());
    await eventually(() => receiver.received.length, (count) => count === 3, 'a third delivery after the change');
  });

  it('retries a 5xx with back-off, gives up on a 4xx at once, and records each outcome', async () => {
    let calls = 0;
    receiver.answerWith(() => ({ status: ++calls === 1 ? 503 : 200 }));
    const retried = await module.rules.create(WS, webhookRule());
    ctx.events.emit('anomaly.detected', anomaly());
    expect((await lastDelivery(retried))?.actions).toEqual([{ action: 'webhook', ok: true, attempts: 2, httpStatus: 200 }]);

    receiver.answerWith(() => ({ status: 400 }));
    const refused = await module.rules.create(WS, webhookRule({ match: { thingName: 'pump-9' } }));
    ctx.events.emit('anomaly.detected', anomaly({ thingName: 'pump-9' }));
    const delivery = await lastDelivery(refused);
    expect(delivery?.ok).toBe(false);
    expect(delivery?.actions).toEqual([{ action: 'webhook', ok: false, attempts: 1, httpStatus: 400, error: 'the receiver answered 400' }]);
  });

  it('times a silent receiver out after each attempt, and says so', async () => {
    receiver.answerWith(() => ({ status: 200, delayMs: 5_000 }));
    const rule = await module.rules.create(WS, webhookRule());
    ctx.events.emit('anomaly.detected', anomaly());
    const delivery = await lastDelivery(rule);
    expect(delivery?.actions).toEqual([{ action: 'webhook', ok: false, attempts: 3, error: 'timed out' }]);
  });

  it('checks thresholds on stored telemetry, by thing, stream and field', async () => {
    const rule = await module.rules.create(
      WS,
      webhookRule({ match: { stream: 'engine' }, trigger: { threshold: { field: 'oil.pressure', op: 'lt', value: 2 } }, cooldownSeconds: 1 }),
    );
    const item = (topic: string, pressure: number, epoch: number) => ({ topic, epoch, payload: { oil: { pressure } } });
    ctx.events.emit('telemetry.stored', {
      workspaceId: WS,
      thingName: 'truck-1',
      items: [item('telemetry/truck-1/engine', 3, 1), item('telemetry/truck-1', 1, 2), item('telemetry/truck-1/engine', 1.5, 3)],
    });
    ctx.events.emit('telemetry.stored', { workspaceId: 'ws_other', thingName: 'truck-1', items: [item('telemetry/truck-1/engine', 1, 4)] });
    await lastDelivery(rule);
    await new Promise((done) => setTimeout(done, 200));
    expect(receiver.received.map((request) => JSON.parse(request.body.toString()))).toEqual([
      expect.objectContaining({ trigger: 'threshold', thingName: 'truck-1', stream: 'engine', field: 'oil.pressure', value: 1.5, epoch: 3 }),
    ]);
  });

  it('records a missing secret and a shadow action without a hub as failed actions', async () => {
    const rule = await module.rules.create(
      WS,
      webhookRule({ actions: [{ webhook: { url: `${receiver.url}/x`, secretName: 'unset' } }, { shadow: { desired: { fan: 'on' } } }] }),
    );
    ctx.events.emit('anomaly.detected', anomaly());
    expect(await lastDelivery(rule)).toMatchObject({
      ok: false,
      actions: [
        { action: 'webhook', ok: false, attempts: 0, error: 'the secret "unset" is not set' },
        { action: 'shadow', ok: false, attempts: 0, error: 'no shadow service runs in this process' },
      ],
    });
    expect(receiver.received).toEqual([]);
  });

  it(`has at most ${MAX_DELIVERIES_PER_RULE} deliveries of a rule under way and skips the rest, leaving their series free to fire`, async () => {
    logged.length = 0;
    receiver.answerWith(() => ({ status: 200, delayMs: 250 }));
    const rule = await module.rules.create(WS, webhookRule());
    for (let i = 0; i < MAX_DELIVERIES_PER_RULE + 2; i++) ctx.events.emit('anomaly.detected', anomaly({ thingName: `pump-${i}` }));
    await lastDelivery(rule);
    await new Promise((done) => setTimeout(done, 100));
    expect(receiver.received).toHaveLength(MAX_DELIVERIES_PER_RULE);
    expect(logged.filter((line) => line.includes('alert rule busy: signal skipped'))).toHaveLength(2);
    ctx.events.emit('anomaly.detected', anomaly({ thingName: `pump-${MAX_DELIVERIES_PER_RULE}` }));
    await eventually(() => receiver.received.length, (count) => count === MAX_DELIVERIES_PER_RULE + 1, 'the skipped series to fire once the rule has room');
  });

  it('records a failed action that threw beside the others, instead of losing the delivery', async () => {
    await ctx.shutdown.run('restart with a hub');
    const failing = {
      update: () => Promise.reject(new Error('the shadow store is closed')),
    };
    boot(dataDir, undefined, { shadows: failing });
    const rule = await module.rules.create(WS, webhookRule({ actions: [{ shadow: { desired: { fan: 'on' } } }, ...webhookRule().actions] }));
    ctx.events.emit('anomaly.detected', anomaly());
    expect(await lastDelivery(rule)).toMatchObject({
      ok: false,
      actions: [
        { action: 'shadow', ok: false, attempts: 0, error: 'the shadow store is closed' },
        { action: 'webhook', ok: true, attempts: 1, httpStatus: 200 },
      ],
    });
  });
});
