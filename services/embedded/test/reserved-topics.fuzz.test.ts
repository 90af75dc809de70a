import type { MqttClient } from 'mqtt';
import type { z } from 'zod';
import {
  DescribeJobExecutionResponse,
  GetPendingJobExecutionsResponse,
  JobsRejectedResponse,
  ShadowDeleteAccepted,
  ShadowDocument,
  ShadowErrorResponse,
  ShadowUpdateAccepted,
  StartNextJobExecutionResponse,
  UpdateJobExecutionResponse,
} from '@citus/contracts';
import { connectMqtt } from './support/devices.js';
import { ask, Replies, type Reply } from './support/mqtt-replies.js';
import { Prng } from './support/prng.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';

const SEED = 0x5eed_2024;
const PER_TOPIC = 300;
const JOB_ID = 'fuzz-job';

type ReservedApi = 'shadow' | 'jobs';
interface Target {
  suffix: string;
  api: ReservedApi;
  request: 'shadow-read' | 'shadow-update' | 'jobs-get' | 'start-next' | 'describe' | 'update' | 'unknown';
  accepted?: z.ZodType;
}

/** Every reserved request topic a device may use for itself, relative to `$aws/things/{thing}/`. */
const TARGETS: Target[] = [
  ...['shadow', 'shadow/name/fuzz'].flatMap((prefix): Target[] => [
    { suffix: `${prefix}/get`, api: 'shadow', request: 'shadow-read', accepted: ShadowDocument },
    { suffix: `${prefix}/update`, api: 'shadow', request: 'shadow-update', accepted: ShadowUpdateAccepted },
    { suffix: `${prefix}/delete`, api: 'shadow', request: 'shadow-read', accepted: ShadowDeleteAccepted },
  ]),
  { suffix: 'jobs/get', api: 'jobs', request: 'jobs-get', accepted: GetPendingJobExecutionsResponse },
  { suffix: 'jobs/start-next', api: 'jobs', request: 'start-next', accepted: StartNextJobExecutionResponse },
  { suffix: `jobs/${JOB_ID}/get`, api: 'jobs', request: 'describe', accepted: DescribeJobExecutionResponse },
  { suffix: 'jobs/$next/get', api: 'jobs', request: 'describe', accepted: DescribeJobExecutionResponse },
  { suffix: `jobs/${JOB_ID}/update`, api: 'jobs', request: 'update', accepted: UpdateJobExecutionResponse },
  { suffix: 'jobs/not-an-api', api: 'jobs', request: 'unknown' },
];

const UNICODE = ['a', 'Z', '9', '-', '_', ':', ' ', 'é', 'ß', '中', '😀', '\u200b', '\u202e', '\u0000', '\ufeff', '"', '\\', '/', '\n'];
const ODD_VALUES: unknown[] = [
  -1, 0, 1, 1.5, -0.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, '1', '', 'x'.repeat(65), null, true, false, [], {}, [1, 2], { nested: { deep: 1 } },
  'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED', 'QUEUED', 'CANCELED', 'in_progress', -1, 10_081,
];
const STATUSES = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED', 'QUEUED', 'TIMED_OUT', 'REMOVED', 'CANCELED'];

const token = (rng: Prng): string => rng.string(rng.int(rng.chance(0.8) ? 40 : 90), UNICODE);

/** A request the topic could accept, as firmware would send it. */
function plausible(rng: Prng, request: Target['request']): Record<string, unknown> {
  const clientToken = token(rng);
  switch (request) {
    case 'shadow-update': {
      const section = () => (rng.chance(0.2) ? null : { [rng.string(1 + rng.int(8), UNICODE)]: rng.pick(ODD_VALUES) });
      return { state: { desired: section(), reported: section() }, ...(rng.chance(0.4) ? { version: rng.pick(ODD_VALUES) } : {}), clientToken };
    }
    case 'start-next':
      return { clientToken, statusDetails: { step: rng.string(1 + rng.int(20), UNICODE) }, stepTimeoutInMinutes: rng.pick(ODD_VALUES) };
    case 'describe':
      return { clientToken, executionNumber: rng.pick(ODD_VALUES), includeJobDocument: rng.pick(ODD_VALUES) };
    case 'update':
      return {
        clientToken,
        status: rng.pick(STATUSES),
        expectedVersion: rng.chance(0.5) ? rng.int(6) : rng.pick(ODD_VALUES),
        statusDetails: rng.chance(0.5) ? { progress: `${rng.int(100)}%` } : rng.pick(ODD_VALUES),
        includeJobExecutionState: rng.chance(0.5),
        stepTimeoutInMinutes: rng.chance(0.7) ? undefined : rng.pick(ODD_VALUES),
      };
    default:
      return { clientToken };
  }
}

/** Replaces one field (or adds one) with a value of a wrong type or out of range. */
function mutated(rng: Prng, request: Target['request']): Record<string, unknown> {
  const body = plausible(rng, request);
  const key = rng.pick([...Object.keys(body), 'version', 'expectedVersion', 'clientToken', 'status', 'state', 'thingName']);
  return { ...body, [key]: rng.chance(0.3) ? token(rng) : rng.pick(ODD_VALUES) };
}

const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Hand-written JSON texts that objects cannot express (prototype keys, numbers past float64). */
function rawJson(rng: Prng): string {
  const depth = rng.pick([7, 64, 1_000, 20_000]);
  return rng.pick([
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"clientToken":"proto"}',
    '{"state":{"desired":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}},"clientToken":"proto"}',
    '{"status":"IN_PROGRESS","statusDetails":{"__proto__":"polluted","constructor":"x"},"clientToken":"proto"}',
    '{"state":{"reported":{"n":1e400}},"version":1e400}',
    '{"version":-0,"expectedVersion":1e-400,"executionNumber":123456789012345678901234567890}',
    '{"state":{"desired":{"big":123456789012345678901234567890}}}',
    `{"state":{"desired":${nested(depth)}}}`,
    `{"statusDetails":${nested(depth)},"status":"IN_PROGRESS"}`,
    `${'['.repeat(depth)}${']'.repeat(depth)}`,
    '{"clientToken":"\\ud800\\udfff\\ud800","state":{"desired":{"\\u0000":"\\u0000"}}}',
    '\ufeff{"clientToken":"bom"}',
    '{"clientToken":"dup","clientToken":7}',
  ]);
}

/** One fuzz payload: the generator is picked by the PRNG, so the seed decides everything. */
function payload(rng: Prng, target: Target): Buffer {
  const text = (value: unknown) => Buffer.from(JSON.stringify(value));
  const valid = JSON.stringify(plausible(rng, target.request));
  switch (rng.int(10)) {
    case 0:
      return rng.bytes(rng.int(rng.chance(0.9) ? 300 : 4_000));
    case 1:
      return Buffer.from(valid.slice(0, rng.int(valid.length)));
    case 2: {
      const chars = [...valid];
      for (let flips = 1 + rng.int(4); flips > 0; flips -= 1) chars[rng.int(chars.length)] = rng.pick(['{', '}', '"', ',', ':', '\\', '[', 'x']);
      return Buffer.from(chars.join(''));
    }
    case 3:
      return text(rng.pick<unknown>([[], [plausible(rng, target.request)], 0, -1, 3.14, 'text', null, true, '']));
    case 4: {
      // Up to 100 KB, under AWS's 128 KB message limit: over 8 KB of state is a 413, not a disconnect.
      const unit = rng.pick(['x', 'é', '😀']);
      const blob = unit.repeat(rng.pick([1_000, 9_000, 60_000, 100_000]) / Buffer.byteLength(unit));
      const huge = target.request === 'shadow-update' ? { state: { reported: { blob } } } : { blob };
      return text({ ...plausible(rng, target.request), ...huge });
    }
    case 5:
      return Buffer.from(rawJson(rng));
    case 6:
      return rng.chance(0.5) ? Buffer.alloc(0) : Buffer.from(rng.pick([' ', '{}', '{ }', 'null', '\n']));
    default:
      return text(rng.chance(0.5) ? mutated(rng, target.request) : plausible(rng, target.request));
  }
}

/** The request's client token when it is one AWS must echo: a string of 1 to 64 bytes in a JSON object. */
function echoedToken(body: Buffer): string | undefined {
  try {
    const json: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    const token = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { clientToken?: unknown }).clientToken : undefined;
    return typeof token === 'string' && token !== '' && Buffer.byteLength(token) <= 64 ? token : undefined;
  } catch {
    return undefined;
  }
}

/** Why an answer breaks AWS's contract, or undefined when it keeps it. */
function contractBreach(target: Target, body: Buffer, reply: Reply): string | undefined {
  const rejected = reply.topic.endsWith('/rejected');
  const schema = rejected ? (target.api === 'shadow' ? ShadowErrorResponse : JobsRejectedResponse).strict() : target.accepted;
  if (!schema) return 'accepted on a topic that has no accepted reply';
  const checked = schema.safeParse(reply.body);
  if (!checked.success) return checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  // Every /accepted and /rejected reply echoes the request's clientToken (AWS IoT developer guide).
  const token = target.request === 'unknown' ? undefined : echoedToken(body);
  const echoed = (reply.body as { clientToken?: unknown }).clientToken;
  return token === undefined || echoed === token ? undefined : `clientToken ${JSON.stringify(token)} echoed as ${JSON.stringify(echoed)}`;
}

/** What came back for the fuzz: what went unanswered, what broke the contract, which outcomes were reached. */
class Tally {
  sent = 0;
  answered = 0;
  readonly missing: string[] = [];
  readonly breaches: string[] = [];
  readonly outcomes = new Set<string>();

  record(target: Target, topic: string, body: Buffer, reply: Reply | undefined): void {
    this.sent += 1;
    const shown = `${topic} <- ${JSON.stringify(body.toString('utf8').slice(0, 300))} (base64 ${body.toString('base64').slice(0, 200)})`;
    if (!reply) return void this.missing.push(shown);
    this.answered += 1;
    const code = (reply.body as { code?: unknown }).code;
    this.outcomes.add(`${target.api} ${reply.topic.endsWith('/accepted') ? 'accepted' : `rejected ${String(code)}`}`);
    const breach = contractBreach(target, body, reply);
    if (breach) this.breaches.push(`${shown} -> ${reply.topic} ${JSON.stringify(reply.body).slice(0, 300)}: ${breach}`);
  }
}

// Issue 3 point 9: random payloads on every reserved request topic a device may use. The seed
// is in the test name: a failure reproduces by running it again.
describe(`reserved topics under fuzz (mulberry32 seed 0x${SEED.toString(16)})`, () => {
  let platform: TestPlatform;
  let api: Api;
  let fuzzed: string; // `$aws/things/{thing}` of device A, which sends the fuzz
  let bystander: string; // the same for device B, which keeps updating its shadow
  let a: MqttClient;
  let b: MqttClient;
  const closes = { a: 0, b: 0 };

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const [deviceA, deviceB] = await Promise.all([declareAndActivate(api, 'Fuzzed'), declareAndActivate(api, 'Bystander')]);
    [fuzzed, bystander] = [deviceA, deviceB].map((device) => `$aws/things/${device.device.thingName}`) as [string, string];
    const created = await api.post('/api/v1/jobs', { jobId: JOB_ID, targets: [deviceA.device.thingName], document: { operation: 'fuzz' } });
    expect(created.status).toBe(201);
    [a, b] = await Promise.all([connectMqtt(platform, deviceA), connectMqtt(platform, deviceB)]);
    a.on('close', () => (closes.a += 1));
    b.on('close', () => (closes.b += 1));
  });
  afterAll(async () => {
    await Promise.all([a?.endAsync(true), b?.endAsync(true)]);
    await platform?.destroy();
  });

  it(`answers ${PER_TOPIC} random payloads on each of ${TARGETS.length} topics in AWS's shapes, and nobody is disconnected`, async () => {
    const rng = new Prng(SEED);
    const aReplies = new Replies(a);
    const bReplies = new Replies(b);
    const tally = new Tally();
    let bAccepted = 0;
    for (let round = 0; round < PER_TOPIC; round += 1) {
      for (const target of TARGETS) {
        const topic = `${fuzzed}/${target.suffix}`;
        const body = payload(rng, target);
        tally.record(target, topic, body, await ask(a, aReplies, topic, body));
      }
      // The bystander's own shadow keeps working while the other device sends garbage.
      const update = JSON.stringify({ state: { reported: { round } }, clientToken: `b-${round}` });
      const reply = await ask(b, bReplies, `${bystander}/shadow/update`, update);
      if (reply?.topic.endsWith('/accepted') && (reply.body as { clientToken?: string }).clientToken === `b-${round}`) bAccepted += 1;
    }
    expect(tally.missing).toEqual([]);
    expect(tally.breaches).toEqual([]);
    expect(tally.answered).toBe(PER_TOPIC * TARGETS.length);
    // One answer per request, never two (A subscribed to nothing, so it gets only its own answers).
    expect(aReplies.all.filter((reply) => /\/(accepted|rejected)$/.test(reply.topic))).toHaveLength(PER_TOPIC * TARGETS.length);
    expect([...tally.outcomes]).toEqual(
      expect.arrayContaining([
        'jobs accepted', 'jobs rejected InvalidJson', 'jobs rejected InvalidRequest', 'jobs rejected InvalidTopic',
        'jobs rejected VersionMismatch',
        'shadow accepted', 'shadow rejected 400', 'shadow rejected 404', 'shadow rejected 413', 'shadow rejected 415',
      ]),
    );
    expect(bAccepted).toBe(PER_TOPIC);
    expect(closes).toEqual({ a: 0, b: 0 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('still serves the fuzzed device normally, and the platform is healthy', async () => {
    const S = `${fuzzed}/shadow`;
    const replies = new Replies(a);
    const updated = await ask(a, replies, `${S}/update`, JSON.stringify({ state: { reported: { after: 'fuzz' } }, clientToken: 'final-update' }));
    expect(updated?.topic).toBe(`${S}/update/accepted`);
    const got = await ask(a, replies, `${S}/get`, JSON.stringify({ clientToken: 'final-get' }));
    expect(got?.topic).toBe(`${S}/get/accepted`);
    expect(ShadowDocument.parse(got?.body)).toMatchObject({ state: { reported: { after: 'fuzz' } }, clientToken: 'final-get' });
    expect((await fetch(`${platform.baseUrl}/healthz`)).status).toBe(200);
    expect(a.connected && b.connected).toBe(true);
  });
});
