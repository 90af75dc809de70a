import type { TelemetryQueries } from '../../src/domain/telemetry-buckets.rules.js';
import type { TelemetryTable } from '../../src/domain/telemetry-table.port.js';
import { aRecord, T0, THING, WORKSPACE } from './telemetry-fixture.js';

/** One adapter's queries over fresh storage, and the telemetry table that writes into it. */
export interface TelemetryQueriesHarness {
  queries: TelemetryQueries;
  table: TelemetryTable;
  destroy(): Promise<void>;
}

const MINUTE = 60_000;
const window = (from: number, to: number, bucket = MINUTE) => ({ from, to, bucket });

/** The rules every `TelemetryQueries` adapter keeps (see the port); run once per adapter. */
export function telemetryQueriesContract(adapter: string, open: () => Promise<TelemetryQueriesHarness>): void {
  let harness: TelemetryQueriesHarness | undefined;
  beforeEach(async () => {
    harness = await open();
  });
  afterEach(async () => {
    await harness?.destroy();
    harness = undefined;
  });
  const queries = () => (harness as TelemetryQueriesHarness).queries;

  /** Stores a document at an exact epoch (the device's timestamp) on the thing's topic or one of its streams. */
  const put = async (epoch: number, document: Record<string, unknown>, options: { stream?: string; thingName?: string; workspaceId?: string } = {}) => {
    const thingName = options.thingName ?? THING;
    const topic = options.stream ? `telemetry/${thingName}/${options.stream}` : `telemetry/${thingName}`;
    const record = aRecord({ topic, thingName, workspaceId: options.workspaceId ?? WORKSPACE, deviceEpoch: epoch, document });
    expect(await (harness as TelemetryQueriesHarness).table.write([{ record }])).toEqual([{ kind: 'stored', topic, epoch }]);
  };

  describe(`${adapter} aggregates`, () => {
    beforeEach(async () => {
      // Minute 0: 4, 10, 1 (last). Minute 1: 7 only, the rest not numbers. Minute 3: 2.5, -1.5 (last).
      await put(T0 + 1_000, { value: 4, env: { temp: 20 } });
      await put(T0 + 20_000, { value: 10, env: { temp: 22 } });
      await put(T0 + 59_999, { value: 1, env: { temp: 21.5 } });
      await put(T0 + MINUTE, { value: '12', env: { temp: 'warm' } });
      await put(T0 + MINUTE + 1, { value: true, env: 3 });
      await put(T0 + MINUTE + 2, { value: null });
      await put(T0 + MINUTE + 3, { value: [5], env: {} });
      await put(T0 + MINUTE + 4, { value: 7, env: { temp: { c: 1 } } });
      await put(T0 + 3 * MINUTE + 5, { value: 2.5 });
      await put(T0 + 3 * MINUTE + 6, { value: -1.5, env: { temp: 19 } });
    });
    const scope = { workspaceId: WORKSPACE, thingName: THING };

    it('gives exact min, max, avg, count and last per bucket, skipping non-numbers and empty buckets', async () => {
      expect(await queries().aggregate(scope, 'value', window(T0, T0 + 10 * MINUTE))).toEqual([
        { bucketStart: T0, min: 1, max: 10, avg: 5, count: 3, last: 1 },
        { bucketStart: T0 + MINUTE, min: 7, max: 7, avg: 7, count: 1, last: 7 },
        { bucketStart: T0 + 3 * MINUTE, min: -1.5, max: 2.5, avg: 0.5, count: 2, last: -1.5 },
      ]);
    });

    it('reads a dotted field from nested objects, never from what objects inherit', async () => {
      expect(await queries().aggregate(scope, 'env.temp', window(T0, T0 + 10 * MINUTE))).toEqual([
        { bucketStart: T0, min: 20, max: 22, avg: 21.166666666666668, count: 3, last: 21.5 },
        { bucketStart: T0 + 3 * MINUTE, min: 19, max: 19, avg: 19, count: 1, last: 19 },
      ]);
      expect(await queries().aggregate(scope, 'env.missing', window(T0, T0 + 10 * MINUTE))).toEqual([]);
      // `Object.length` is 1: a path must name the document's own members only.
      expect(await queries().aggregate(scope, 'env.constructor.length', window(T0, T0 + 10 * MINUTE))).toEqual([]);
    });

    it('keeps both ends of the range, and aligns buckets to multiples of their size', async () => {
      expect(await queries().aggregate(scope, 'value', window(T0 + 20_000, T0 + MINUTE + 4, 30_000))).toEqual([
        { bucketStart: T0, min: 10, max: 10, avg: 10, count: 1, last: 10 },
        { bucketStart: T0 + 30_000, min: 1, max: 1, avg: 1, count: 1, last: 1 },
        { bucketStart: T0 + MINUTE, min: 7, max: 7, avg: 7, count: 1, last: 7 },
      ]);
    });

    it('narrows to one stream, or counts every stream of the thing, never another thing or workspace', async () => {
      await put(T0 + 2_000, { value: 100 }, { stream: 'power' });
      await put(T0 + 59_999 + 0, { value: 50 }, { stream: 'power', thingName: `${THING}-2` });
      await put(T0 + 3_000, { value: 1_000 }, { workspaceId: 'ws_other', stream: 'power' });
      const firstMinute = window(T0, T0 + MINUTE - 1);
      expect(await queries().aggregate({ ...scope, topic: `telemetry/${THING}/power` }, 'value', firstMinute)).toEqual([
        { bucketStart: T0, min: 100, max: 100, avg: 100, count: 1, last: 100 },
      ]);
      expect(await queries().aggregate(scope, 'value', firstMinute)).toEqual([{ bucketStart: T0, min: 1, max: 100, avg: 28.75, count: 4, last: 1 }]);
      expect(await queries().aggregate({ workspaceId: 'ws_other', thingName: THING }, 'value', firstMinute)).toEqual([
        { bucketStart: T0, min: 1_000, max: 1_000, avg: 1_000, count: 1, last: 1_000 },
      ]);
    });

    it('takes last from the latest message even when it is neither the min nor the max', async () => {
      await put(T0 + 10 * MINUTE + 1, { value: 5 });
      await put(T0 + 10 * MINUTE + 2, { value: 9 });
      await put(T0 + 10 * MINUTE + 3, { value: 0 });
      await put(T0 + 10 * MINUTE + 4, { value: 6 });
      const [bucket] = (await queries().aggregate(scope, 'value', window(T0 + 10 * MINUTE, T0 + 11 * MINUTE - 1))) as unknown[];
      expect(bucket).toEqual({ bucketStart: T0 + 10 * MINUTE, min: 0, max: 9, avg: 5, count: 4, last: 6 });
    });

    it('averages without losing a small value between large ones', async () => {
      await put(T0 + 30 * MINUTE, { value: 1e16 });
      await put(T0 + 30 * MINUTE + 1, { value: 1 });
      await put(T0 + 30 * MINUTE + 2, { value: -1e16 });
      const range = window(T0 + 30 * MINUTE, T0 + 31 * MINUTE - 1);
      expect(await queries().aggregate(scope, 'value', range)).toEqual([
        { bucketStart: T0 + 30 * MINUTE, min: -1e16, max: 1e16, avg: 1 / 3, count: 3, last: -1e16 },
      ]);
    });

    it('reads names with - @ : literally', async () => {
      await put(T0 + 20 * MINUTE, { 'co2-ppm': 410, '@meta': { 'a:b': 3 } });
      const range = window(T0 + 20 * MINUTE, T0 + 21 * MINUTE);
      expect(await queries().aggregate(scope, 'co2-ppm', range)).toMatchObject([{ count: 1, last: 410 }]);
      expect(await queries().aggregate(scope, '@meta.a:b', range)).toMatchObject([{ count: 1, last: 3 }]);
    });
  });

  describe(`${adapter} latest values`, () => {
    it('gives the latest message of each stream of each thing, in the workspace only', async () => {
      await put(T0, { value: 1 });
      await put(T0 + 5, { value: 2 });
      await put(T0 + 1, { value: 3 }, { stream: 'power' });
      await put(T0 + 9, { value: 4 }, { stream: 'power' });
      await put(T0 + 2, { value: 5 }, { stream: 'a' });
      await put(T0 + 50, { value: 6 }, { thingName: `${THING}-2` }); // sorts between the thing's topic and its streams
      await put(T0 + 60, { value: 7 }, { thingName: `${THING}0`, stream: 'x' });
      await put(T0 + 70, { value: 8 }, { thingName: 'other', workspaceId: 'ws_other' });
      expect(await queries().latest(WORKSPACE, [THING, 'no-telemetry', `${THING}-2`, 'other'])).toEqual([
        { thingName: THING, topic: `telemetry/${THING}`, epoch: T0 + 5, payload: { value: 2 } },
        { thingName: THING, topic: `telemetry/${THING}/a`, epoch: T0 + 2, payload: { value: 5 } },
        { thingName: THING, topic: `telemetry/${THING}/power`, epoch: T0 + 9, payload: { value: 4 } },
        { thingName: `${THING}-2`, topic: `telemetry/${THING}-2`, epoch: T0 + 50, payload: { value: 6 } },
      ]);
    });

    it('lists the things of a workspace that have telemetry, a page at a time', async () => {
      for (const name of ['c', 'a', 'b', 'd']) await put(T0, { value: 1 }, { thingName: name });
      await put(T0 + 1, { value: 1 }, { thingName: 'a', stream: 's' });
      await put(T0, { value: 1 }, { thingName: 'bb', workspaceId: 'ws_other' });
      expect(await queries().thingsWithTelemetry(WORKSPACE, 3)).toEqual(['a', 'b', 'c']);
      expect(await queries().thingsWithTelemetry(WORKSPACE, 3, 'c')).toEqual(['d']);
      expect(await queries().thingsWithTelemetry(WORKSPACE, 3, 'd')).toEqual([]);
      expect(await queries().thingsWithTelemetry('ws_other', 3)).toEqual(['bb']);
    });

    it('pages by thing name, whatever follows the name in a longer one', async () => {
      for (const name of ['a', 'a-b', 'a0', 'a:b', 'a_b', 'ab', 'b']) await put(T0, { value: 1 }, { thingName: name, stream: 's' });
      await put(T0 + 1, { value: 1 }, { thingName: 'a' });
      const names = [];
      for (let after: string | undefined; ; ) {
        const page = await queries().thingsWithTelemetry(WORKSPACE, 2, after);
        if (page.length === 0) break;
        names.push(...page);
        after = page.at(-1);
      }
      expect(names).toEqual(['a', 'a-b', 'a0', 'a:b', 'a_b', 'ab', 'b']);
    });
  });
}
