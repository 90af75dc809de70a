import { SqliteTelemetryQueryRepository } from '../src/adapters/sqlite/telemetry-query.repository.js';
import { aRecord, T0, telemetryStore, THING, WORKSPACE, type TelemetryStore } from './support/telemetry-fixture.js';

const MINUTE = 60_000;
const window = (from: number, to: number, bucket = MINUTE) => ({ from, to, bucket });

describe('SqliteTelemetryQueryRepository', () => {
  let store: TelemetryStore;
  let queries: SqliteTelemetryQueryRepository;

  /** Stores a document at an exact epoch (the device's timestamp) on the thing's topic or one of its streams. */
  const put = (epoch: number, document: Record<string, unknown>, options: { stream?: string; thingName?: string; workspaceId?: string } = {}) => {
    const thingName = options.thingName ?? THING;
    const topic = options.stream ? `telemetry/${thingName}/${options.stream}` : `telemetry/${thingName}`;
    const [outcome] = store.repository.write([
      { record: aRecord({ topic, thingName, workspaceId: options.workspaceId ?? WORKSPACE, deviceEpoch: epoch, document }) },
    ]);
    expect(outcome).toEqual({ kind: 'stored', topic, epoch });
  };

  beforeEach(() => {
    store = telemetryStore();
    queries = new SqliteTelemetryQueryRepository(store.db);
  });
  afterEach(() => store.destroy());

  describe('aggregates', () => {
    beforeEach(() => {
      // Minute 0: 4, 10, 1 (last). Minute 1: 7 only, the rest not numbers. Minute 3: 2.5, -1.5 (last).
      put(T0 + 1_000, { value: 4, env: { temp: 20 } });
      put(T0 + 20_000, { value: 10, env: { temp: 22 } });
      put(T0 + 59_999, { value: 1, env: { temp: 21.5 } });
      put(T0 + MINUTE, { value: '12', env: { temp: 'warm' } });
      put(T0 + MINUTE + 1, { value: true, env: 3 });
      put(T0 + MINUTE + 2, { value: null });
      put(T0 + MINUTE + 3, { value: [5], env: {} });
      put(T0 + MINUTE + 4, { value: 7, env: { temp: { c: 1 } } });
      put(T0 + 3 * MINUTE + 5, { value: 2.5 });
      put(T0 + 3 * MINUTE + 6, { value: -1.5, env: { temp: 19 } });
    });

    it('gives exact min, max, avg, count and last per bucket, skipping non-numbers and empty buckets', () => {
      expect(queries.aggregate({ workspaceId: WORKSPACE, thingName: THING }, 'value', window(T0, T0 + 10 * MINUTE))).toEqual([
        { bucketStart: T0, min: 1, max: 10, avg: 5, count: 3, last: 1 },
        { bucketStart: T0 + MINUTE, min: 7, max: 7, avg: 7, count: 1, last: 7 },
        { bucketStart: T0 + 3 * MINUTE, min: -1.5, max: 2.5, avg: 0.5, count: 2, last: -1.5 },
      ]);
    });

    it('reads a dotted field from nested objects', () => {
      expect(queries.aggregate({ workspaceId: WORKSPACE, thingName: THING }, 'env.temp', window(T0, T0 + 10 * MINUTE))).toEqual([
        { bucketStart: T0, min: 20, max: 22, avg: 21.166666666666668, count: 3, last: 21.5 },
        { bucketStart: T0 + 3 * MINUTE, min: 19, max: 19, avg: 19, count: 1, last: 19 },
      ]);
      expect(queries.aggregate({ workspaceId: WORKSPACE, thingName: THING }, 'env.missing', window(T0, T0 + 10 * MINUTE))).toEqual([]);
    });

    it('keeps both ends of the range, and aligns buckets to multiples of their size', () => {
      expect(queries.aggregate({ workspaceId: WORKSPACE, thingName: THING }, 'value', window(T0 + 20_000, T0 + MINUTE + 4, 30_000))).toEqual([
        { bucketStart: T0, min: 10, max: 10, avg: 10, count: 1, last: 10 },
        { bucketStart: T0 + 30_000, min: 1, max: 1, avg: 1, count: 1, last: 1 },
        { bucketStart: T0 + MINUTE, min: 7, max: 7, avg: 7, count: 1, last: 7 },
      ]);
    });

    it('narrows to one stream, or counts every stream of the thing, never another thing or workspace', () => {
      put(T0 + 2_000, { value: 100 }, { stream: 'power' });
      put(T0 + 59_999 + 0, { value: 50 }, { stream: 'power', thingName: `${THING}-2` });
      put(T0 + 3_000, { value: 1_000 }, { workspaceId: 'ws_other', stream: 'power' });
      const scope = { workspaceId: WORKSPACE, thingName: THING };
      const firstMinute = window(T0, T0 + MINUTE - 1);
      expect(queries.aggregate({ ...scope, topic: `telemetry/${THING}/power` }, 'value', firstMinute)).toEqual([
        { bucketStart: T0, min: 100, max: 100, avg: 100, count: 1, last: 100 },
      ]);
      expect(queries.aggregate(scope, 'value', firstMinute)).toEqual([{ bucketStart: T0, min: 1, max: 100, avg: 28.75, count: 4, last: 1 }]);
      expect(queries.aggregate({ workspaceId: 'ws_other', thingName: THING }, 'value', firstMinute)).toEqual([
        { bucketStart: T0, min: 1_000, max: 1_000, avg: 1_000, count: 1, last: 1_000 },
      ]);
    });

    it('takes last from the latest message even when it is neither the min nor the max', () => {
      put(T0 + 10 * MINUTE + 1, { value: 5 });
      put(T0 + 10 * MINUTE + 2, { value: 9 });
      put(T0 + 10 * MINUTE + 3, { value: 0 });
      put(T0 + 10 * MINUTE + 4, { value: 6 });
      const [bucket] = queries.aggregate({ workspaceId: WORKSPACE, thingName: THING }, 'value', window(T0 + 10 * MINUTE, T0 + 11 * MINUTE - 1));
      expect(bucket).toEqual({ bucketStart: T0 + 10 * MINUTE, min: 0, max: 9, avg: 5, count: 4, last: 6 });
    });

    it('reads names with - @ : literally', () => {
      put(T0 + 20 * MINUTE, { 'co2-ppm': 410, '@meta': { 'a:b': 3 } });
      const range = window(T0 + 20 * MINUTE, T0 + 21 * MINUTE);
      const scope = { workspaceId: WORKSPACE, thingName: THING };
      expect(queries.aggregate(scope, 'co2-ppm', range)).toMatchObject([{ count: 1, last: 410 }]);
      expect(queries.aggregate(scope, '@meta.a:b', range)).toMatchObject([{ count: 1, last: 3 }]);
    });
  });

  describe('latest', () => {
    it('gives the latest message of each stream of each thing, in the workspace only', () => {
      put(T0, { value: 1 });
      put(T0 + 5, { value: 2 });
      put(T0 + 1, { value: 3 }, { stream: 'power' });
      put(T0 + 9, { value: 4 }, { stream: 'power' });
      put(T0 + 2, { value: 5 }, { stream: 'a' });
      put(T0 + 50, { value: 6 }, { thingName: `${THING}-2` }); // sorts between the thing's topic and its streams
      put(T0 + 60, { value: 7 }, { thingName: `${THING}0`, stream: 'x' });
      put(T0 + 70, { value: 8 }, { thingName: 'other', workspaceId: 'ws_other' });
      expect(queries.latest(WORKSPACE, [THING, 'no-telemetry', `${THING}-2`, 'other'])).toEqual([
        { thingName: THING, topic: `telemetry/${THING}`, epoch: T0 + 5, payload: { value: 2 } },
        { thingName: THING, topic: `telemetry/${THING}/a`, epoch: T0 + 2, payload: { value: 5 } },
        { thingName: THING, topic: `telemetry/${THING}/power`, epoch: T0 + 9, payload: { value: 4 } },
        { thingName: `${THING}-2`, topic: `telemetry/${THING}-2`, epoch: T0 + 50, payload: { value: 6 } },
      ]);
    });

    it('lists the things of a workspace that have telemetry, a page at a time', () => {
      for (const name of ['c', 'a', 'b', 'd']) put(T0, { value: 1 }, { thingName: name });
      put(T0 + 1, { value: 1 }, { thingName: 'a', stream: 's' });
      put(T0, { value: 1 }, { thingName: 'bb', workspaceId: 'ws_other' });
      expect(queries.thingsWithTelemetry(WORKSPACE, 3)).toEqual(['a', 'b', 'c']);
      expect(queries.thingsWithTelemetry(WORKSPACE, 3, 'c')).toEqual(['d']);
      expect(queries.thingsWithTelemetry(WORKSPACE, 3, 'd')).toEqual([]);
      expect(queries.thingsWithTelemetry('ws_other', 3)).toEqual(['bb']);
    });
  });
});
