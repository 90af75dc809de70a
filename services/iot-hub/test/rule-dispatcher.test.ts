import { createLogger } from '@citus/kit';
import { RuleDispatcher, type Delivery, type DispatcherOptions } from '../src/app/rule-dispatcher.js';
import type { CompiledAction, CompiledRule } from '../src/domain/rules/compiled-rule.js';
import type { ActionCall, ActionOutcome } from '../src/domain/rules/rule-action.port.js';
import { NOT_JSON, type CompiledStatement, type RuleMessage } from '../src/domain/rules/sql/index.js';

const logger = createLogger({ level: 'silent' });
const statement = { topicFilter: 'telemetry/+', selectsPayloadAsIs: true, evaluate: () => ({ matched: false }) } as unknown as CompiledStatement;
const hook = (url: string): CompiledAction => ({ kind: 'http', resource: url, url: { text: url, render: () => url }, origin: url, headers: [] });
const report: CompiledAction = hook('https://errors.example');

const ruleWith = (actions: CompiledAction[], errorAction?: CompiledAction): CompiledRule => ({
  workspaceId: 'ws_1',
  name: 'r1',
  key: 'ws_1\u0000r1',
  statement,
  tableActions: 0,
  actions,
  ...(errorAction ? { errorAction } : {}),
  signingSecret: 's',
});

const message = (topic: string, seq: number): RuleMessage => ({
  topic,
  payload: Buffer.from(JSON.stringify({ seq })),
  json: NOT_JSON,
  clientId: topic.split('/')[1] ?? 'c',
  principal: 'p',
  timestamp: 0,
});

const delivery = (rule: CompiledRule, topic: string, seq: number): Delivery => ({ rule, message: message(topic, seq), output: { value: { seq } } });

/** A runner that records calls and answers from a script per URL. */
class ScriptedRunner {
  readonly calls: Array<{ url: string; seq: unknown; at: number }> = [];
  readonly gates = new Map<string, Promise<void>>();
  constructor(private readonly answer: (url: string, call: ActionCall, attempt: number) => ActionOutcome) {}
  private readonly attempts = new Map<string, number>();

  async run(action: CompiledAction, call: ActionCall): Promise<ActionOutcome> {
    const url = action.kind === 'http' ? action.url.text : action.kind;
    const seq = 'value' in call.output ? (call.output.value as { seq?: unknown }).seq : undefined;
    const key = `${url}#${String(seq)}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    await this.gates.get(`${url}#${call.message.topic}`);
    this.calls.push({ url, seq, at: this.calls.length });
    return this.answer(url, call, attempt);
  }

  outputsTo(url: string): unknown[] {
    return this.calls.filter((call) => call.url === url).map((call) => call.seq);
  }
}

const options = (overrides: Partial<DispatcherOptions> = {}): DispatcherOptions => ({ attempts: 3, retryBaseMs: 1, queueLimit: 100, sleep: () => Promise.resolve(), ...overrides });

async function settled(dispatcher: RuleDispatcher): Promise<void> {
  for (let i = 0; i < 1000 && dispatcher.pending > 0; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(dispatcher.pending).toBe(0);
}

describe('RuleDispatcher', () => {
  it('takes one topic\'s messages in arrival order, each retried until it succeeds before the next starts', async () => {
    const runner = new ScriptedRunner((_url, call, attempt) => {
      const seq = 'value' in call.output ? (call.output.value as { seq: number }).seq : 0;
      return seq === 1 && attempt < 3 ? { ok: false, retryable: true, error: 'the receiver answered 503' } : { ok: true };
    });
    const dispatcher = new RuleDispatcher(runner, logger, options());
    const rule = ruleWith([hook('https://a.example')]);
    for (const seq of [1, 2, 3, 4]) dispatcher.enqueue(delivery(rule, 'telemetry/t1', seq));
    await settled(dispatcher);
    expect(runner.outputsTo('https://a.example')).toEqual([1, 1, 1, 2, 3, 4]);
    expect(dispatcher.stats).toMatchObject({ delivered: 4, actionFailures: 0 });
  });

  it('sends AWS IoT\'s error message to the error action once the tries are spent, and not for a failure that cannot pass', async () => {
    const waits: number[] = [];
    const runner = new ScriptedRunner((url) =>
      url === 'https://down.example'
        ? { ok: false, retryable: true, error: 'the receiver answered 500' }
        : url === 'https://refusing.example'
          ? { ok: false, retryable: false, error: 'the receiver answered 400' }
          : { ok: true },
    );
    const errors: ActionCall[] = [];
    const recording = {
      run: async (action: CompiledAction, call: ActionCall) => {
        if (action === report) errors.push(call);
        return runner.run(action, call);
      },
    };
    const dispatcher = new RuleDispatcher(recording, logger, options({ attempts: 4, retryBaseMs: 100, sleep: async (ms) => void waits.push(ms) }));
    dispatcher.enqueue(delivery(ruleWith([hook('https://down.example'), hook('https://refusing.example'), hook('https://up.example')], report), 'telemetry/t1', 7));
    await settled(dispatcher);
    expect(runner.outputsTo('https://down.example')).toEqual([7, 7, 7, 7]);
    expect(runner.outputsTo('https://refusing.example')).toEqual([7]);
    expect(runner.outputsTo('https://up.example')).toEqual([7]);
    // Back-off: 100, 200, 400 ms, each with up to 20 % jitter.
    expect(waits).toHaveLength(3);
    waits.forEach((wait, index) => {
      expect(wait).toBeGreaterThanOrEqual(100 * 2 ** index);
      expect(wait).toBeLessThanOrEqual(120 * 2 ** index);
    });
    expect(errors).toHaveLength(1);
    const sent = (errors[0]?.output as { value: Record<string, unknown> }).value;
    expect(sent).toEqual({
      ruleName: 'r1',
      topic: 'telemetry/t1',
      clientId: 't1',
      base64OriginalPayload: Buffer.from(JSON.stringify({ seq: 7 })).toString('base64'),
      failures: [
        { failedAction: 'HttpAction', failedResource: 'https://down.example', errorMessage: 'the receiver answered 500', attempts: 4 },
        { failedAction: 'HttpAction', failedResource: 'https://refusing.example', errorMessage: 'the receiver answered 400', attempts: 1 },
      ],
    });
    expect(dispatcher.stats).toMatchObject({ actionFailures: 2, errorActions: 1, errorActionFailures: 0 });
  });

  it('lets other topics pass while one topic waits on a slow endpoint', async () => {
    const runner = new ScriptedRunner(() => ({ ok: true }));
    let release = (): void => undefined;
    runner.gates.set('https://a.example#telemetry/slow', new Promise<void>((resolve) => (release = resolve)));
    const dispatcher = new RuleDispatcher(runner, logger, options());
    const rule = ruleWith([hook('https://a.example')]);
    dispatcher.enqueue(delivery(rule, 'telemetry/slow', 1));
    dispatcher.enqueue(delivery(rule, 'telemetry/slow', 2));
    for (const seq of [10, 11, 12]) dispatcher.enqueue(delivery(rule, 'telemetry/fast', seq));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(runner.outputsTo('https://a.example')).toEqual([10, 11, 12]);
    expect(dispatcher.pending).toBe(2);
    release();
    await settled(dispatcher);
    expect(runner.outputsTo('https://a.example')).toEqual([10, 11, 12, 1, 2]);
  });

  it('sends what overflows a full rule queue straight to the error action', async () => {
    const runner = new ScriptedRunner(() => ({ ok: true }));
    let release = (): void => undefined;
    runner.gates.set('https://a.example#telemetry/t1', new Promise<void>((resolve) => (release = resolve)));
    const reports: ActionCall[] = [];
    const dispatcher = new RuleDispatcher(
      { run: async (action, call) => (action === report ? (reports.push(call), { ok: true }) : runner.run(action, call)) },
      logger,
      options({ queueLimit: 2, topicQueueLimit: 2 }),
    );
    const rule = ruleWith([hook('https://a.example')], report);
    for (const seq of [1, 2, 3]) dispatcher.enqueue(delivery(rule, 'telemetry/t1', seq));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(reports).toHaveLength(1);
    expect((reports[0]?.output as { value: { failures: Array<{ errorMessage: string }> } }).value.failures[0]?.errorMessage).toMatch(/2 messages waiting/);
    release();
    await settled(dispatcher);
    expect(runner.outputsTo('https://a.example')).toEqual([1, 2]);
    expect(dispatcher.stats.overflowed).toBe(1);
  });

  it('caps one topic\'s queue, so a topic whose endpoint hangs leaves room for the rule\'s other topics', async () => {
    const runner = new ScriptedRunner(() => ({ ok: true }));
    let release = (): void => undefined;
    runner.gates.set('https://a.example#telemetry/stuck', new Promise<void>((resolve) => (release = resolve)));
    const dispatcher = new RuleDispatcher(runner, logger, options({ queueLimit: 30 }));
    const rule = ruleWith([hook('https://a.example')]);
    for (const seq of [1, 2, 3, 4]) dispatcher.enqueue(delivery(rule, 'telemetry/stuck', seq));
    for (const seq of [10, 11]) dispatcher.enqueue(delivery(rule, 'telemetry/fine', seq));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    // A tenth of the rule's 30: the stuck topic holds 3 (one in progress), its 4 overflows; the other topic passes.
    expect(runner.outputsTo('https://a.example')).toEqual([10, 11]);
    expect(dispatcher.stats.overflowed).toBe(1);
    release();
    await settled(dispatcher);
    expect(runner.outputsTo('https://a.example')).toEqual([10, 11, 1, 2, 3]);
  });

  it('stops at once, back-off waits included, and starts no failure report then', async () => {
    const runner = new ScriptedRunner(() => ({ ok: false, retryable: true, error: 'the receiver answered 503' }));
    const reports: ActionCall[] = [];
    const dispatcher = new RuleDispatcher(
      { run: async (action, call) => (action === report ? (reports.push(call), { ok: true }) : runner.run(action, call)) },
      logger,
      { attempts: 5, retryBaseMs: 60_000, queueLimit: 100 },
    );
    dispatcher.enqueue(delivery(ruleWith([hook('https://a.example')], report), 'telemetry/t1', 1));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    await dispatcher.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(runner.outputsTo('https://a.example')).toEqual([1]);
    expect(reports).toEqual([]);
  });

  it('stops: no new delivery is taken, the one in progress finishes', async () => {
    const runner = new ScriptedRunner(() => ({ ok: true }));
    const dispatcher = new RuleDispatcher(runner, logger, options());
    const rule = ruleWith([hook('https://a.example')]);
    dispatcher.enqueue(delivery(rule, 'telemetry/t1', 1));
    dispatcher.enqueue(delivery(rule, 'telemetry/t1', 2));
    await dispatcher.stop();
    dispatcher.enqueue(delivery(rule, 'telemetry/t1', 3));
    expect(runner.outputsTo('https://a.example')).toEqual([1]);
  });
});

describe('RuleDispatcher with a runner that can tell an action changes nothing', () => {
  const echo: CompiledAction = { kind: 'republish', resource: 'things/t1/echo', topic: { text: 'things/t1/echo', render: () => 'things/t1/echo' }, qos: 1 };

  /** A ScriptedRunner whose `changesNothing` says `unheard` for republish actions, and records what it was asked. */
  const unheardRunner = () => {
    const runner = Object.assign(new ScriptedRunner(() => ({ ok: true })), {
      unheard: true,
      asked: [] as Array<{ kind: string; seq: unknown; workspaceId: string }>,
      changesNothing(action: CompiledAction, call: ActionCall): boolean {
        runner.asked.push({ kind: action.kind, seq: 'value' in call.output ? (call.output.value as { seq?: unknown }).seq : undefined, workspaceId: call.workspaceId });
        return action.kind === 'republish' && runner.unheard;
      },
    });
    return runner;
  };

  it('counts a delivery that changes nothing as delivered and unheard, without running it', async () => {
    const runner = unheardRunner();
    const dispatcher = new RuleDispatcher(runner, logger, options());
    dispatcher.enqueue(delivery(ruleWith([echo]), 'telemetry/t1', 1));
    // Done at once: nothing waits, nothing runs.
    expect(dispatcher.pending).toBe(0);
    await settled(dispatcher);
    expect(runner.calls).toEqual([]);
    expect(runner.asked).toEqual([{ kind: 'republish', seq: 1, workspaceId: 'ws_1' }]);
    expect(dispatcher.stats).toMatchObject({ delivered: 1, unheard: 1, actionFailures: 0 });
  });

  it('runs every action when only some of them would change nothing', async () => {
    const runner = unheardRunner();
    const dispatcher = new RuleDispatcher(runner, logger, options());
    dispatcher.enqueue(delivery(ruleWith([echo, hook('https://a.example')]), 'telemetry/t1', 1));
    await settled(dispatcher);
    expect(runner.calls.map((call) => call.url).sort()).toEqual(['https://a.example', 'republish']);
    expect(dispatcher.stats).toMatchObject({ delivered: 1, unheard: 0 });
  });

  it('queues a delivery behind an earlier one of its topic, and runs it in order, even when it would change nothing', async () => {
    const runner = unheardRunner();
    let release = (): void => undefined;
    runner.gates.set('republish#telemetry/t1', new Promise<void>((resolve) => (release = resolve)));
    const dispatcher = new RuleDispatcher(runner, logger, options());
    const rule = ruleWith([echo]);
    runner.unheard = false;
    dispatcher.enqueue(delivery(rule, 'telemetry/t1', 1));
    // Someone is listening while 1 is taken; then nobody is, but 1 is still held.
    runner.unheard = true;
    dispatcher.enqueue(delivery(rule, 'telemetry/t1', 2));
    // Another topic of the rule has nothing waiting: it is done at once.
    dispatcher.enqueue(delivery(rule, 'telemetry/t2', 3));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(dispatcher.pending).toBe(2);
    expect(dispatcher.stats).toMatchObject({ delivered: 1, unheard: 1 });
    release();
    await settled(dispatcher);
    expect(runner.outputsTo('republish')).toEqual([1, 2]);
    expect(dispatcher.stats).toMatchObject({ delivered: 3, unheard: 1 });
    // The lane has drained: the next delivery of that topic that changes nothing is done at once again.
    dispatcher.enqueue(delivery(rule, 'telemetry/t1', 4));
    expect(dispatcher.pending).toBe(0);
    expect(runner.outputsTo('republish')).toEqual([1, 2]);
    expect(dispatcher.stats).toMatchObject({ delivered: 4, unheard: 2 });
  });

  it('does a delivery that changes nothing at once even when the rule\'s queue is full with other topics', async () => {
    const runner = unheardRunner();
    runner.unheard = false;
    runner.gates.set('republish#telemetry/t1', new Promise<void>(() => undefined));
    const dispatcher = new RuleDispatcher(runner, logger, options({ queueLimit: 1, topicQueueLimit: 1 }));
    const rule = ruleWith([echo]);
    dispatcher.enqueue(delivery(rule, 'telemetry/t1', 1));
    expect(dispatcher.pending).toBe(1);
    runner.unheard = true;
    dispatcher.enqueue(delivery(rule, 'telemetry/t2', 2));
    expect(dispatcher.stats).toMatchObject({ delivered: 1, unheard: 1, overflowed: 0 });
  });

  it('queues and runs a delivery when the runner fails to tell whether it changes anything', async () => {
    const runner = Object.assign(new ScriptedRunner(() => ({ ok: true })), {
      changesNothing(): boolean {
        throw new Error('too many words');
      },
    });
    const dispatcher = new RuleDispatcher(runner, logger, options());
    expect(() => dispatcher.enqueue(delivery(ruleWith([echo]), 'telemetry/t1', 1))).not.toThrow();
    await settled(dispatcher);
    expect(runner.outputsTo('republish')).toEqual([1]);
    expect(dispatcher.stats).toMatchObject({ delivered: 1, unheard: 0 });
  });

  it('runs every delivery, as before, with a runner that cannot tell', async () => {
    const runner = new ScriptedRunner(() => ({ ok: true }));
    const dispatcher = new RuleDispatcher(runner, logger, options());
    for (const seq of [1, 2]) dispatcher.enqueue(delivery(ruleWith([echo]), 'telemetry/t1', seq));
    await settled(dispatcher);
    expect(runner.outputsTo('republish')).toEqual([1, 2]);
    expect(dispatcher.stats).toMatchObject({ delivered: 2, unheard: 0 });
  });
});
