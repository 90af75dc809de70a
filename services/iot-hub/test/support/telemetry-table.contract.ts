import type { TelemetryTable } from '../../src/domain/telemetry-table.port.js';
import type { TelemetryRange } from '../../src/domain/telemetry.model.js';
import { aDeadLetter, aRecord, T0, THING, WORKSPACE } from './telemetry-fixture.js';

/** One adapter's storage, fresh for each test. */
export interface TelemetryTableHarness {
  table: TelemetryTable;
  /** A second adapter over the same storage, as after a restart (its in-memory state is gone). */
  reopen(): TelemetryTable;
  /** The stored bytes of a thing's dead letters, oldest first: the port itself never reads them. */
  deadLetterPayloads(workspaceId: string, thingName: string): Promise<Buffer[]>;
  destroy(): Promise<void>;
}

const range = (overrides: Partial<TelemetryRange> = {}): TelemetryRange => ({ limit: 100, order: 'asc', ...overrides });
const values = (items: Array<{ payload: Record<string, unknown> }>) => items.map((item) => item.payload.value);
const MAIN = `telemetry/${THING}`;
const POWER = `telemetry/${THING}/power`;

/** The rules every `TelemetryTable` adapter keeps (see the port); run once per adapter. */
export function telemetryTableContract(adapter: string, open: () => Promise<TelemetryTableHarness>): void {
  describe(`${adapter} writes`, () => writeContract(open));
  describe(`${adapter} dead letters`, () => deadLetterContract(open));
  describe(`${adapter} queries`, () => queryContract(open));
}

function fresh(open: () => Promise<TelemetryTableHarness>): () => TelemetryTableHarness {
  let harness: TelemetryTableHarness | undefined;
  beforeEach(async () => {
    harness = await open();
  });
  afterEach(async () => {
    await harness?.destroy();
    harness = undefined;
  });
  return () => harness as TelemetryTableHarness;
}

function writeContract(open: () => Promise<TelemetryTableHarness>): void {
  const store = fresh(open);
  const all = () => store().table.query(WORKSPACE, THING, range());

  it('stores a message with a device timestamp at that epoch, and a resend is a duplicate', async () => {
    const record = aRecord({ deviceEpoch: T0 - 500, receivedAt: T0 });
    expect(await store().table.write([{ record }])).toEqual([{ kind: 'stored', topic: MAIN, epoch: T0 - 500 }]);
    const resend = { ...record, receivedAt: T0 + 10_000 };
    expect(await store().table.write([{ record: resend }])).toEqual([{ kind: 'duplicate', topic: MAIN, epoch: T0 - 500 }]);
    expect(await all()).toEqual([{ topic: MAIN, epoch: T0 - 500, payload: record.document }]);
  });

  it('recognises a resend after a restart too', async () => {
    const record = aRecord({ deviceEpoch: T0 });
    await store().table.write([{ record }]);
    expect(await store().reopen().write([{ record }])).toEqual([{ kind: 'duplicate', topic: MAIN, epoch: T0 }]);
  });

  it('keeps a different message with the same device timestamp at another epoch, and its resend is a duplicate', async () => {
    const first = aRecord({ deviceEpoch: T0, document: { value: 1, '@timestamp': T0 } });
    const second = aRecord({ deviceEpoch: T0, receivedAt: T0 + 5, document: { value: 2, '@timestamp': T0 } });
    const [, outcome] = await store().table.write([{ record: first }, { record: second }]);
    expect(outcome).toEqual({ kind: 'stored', topic: MAIN, epoch: T0 + 5 });
    // The displaced copy sits at its receive time, so the resend finds another payload at T0.
    const resend = { ...second, receivedAt: T0 + 60_000 };
    expect(await store().table.write([{ record: resend }])).toEqual([{ kind: 'duplicate', topic: MAIN, epoch: T0 + 5 }]);
    expect(await store().reopen().write([{ record: resend }])).toEqual([{ kind: 'duplicate', topic: MAIN, epoch: T0 + 5 }]);
    expect(values(await all())).toEqual([1, 2]);
  });

  it('keeps two messages received in the same millisecond, one ms apart, and never goes back', async () => {
    const outcomes = await store().table.write([{ record: aRecord({ document: { value: 1 } }) }, { record: aRecord({ document: { value: 2 } }) }]);
    expect(outcomes).toEqual([
      { kind: 'stored', topic: MAIN, epoch: T0 },
      { kind: 'stored', topic: MAIN, epoch: T0 + 1 },
    ]);
    // A third one in a later batch of the same ms, and one whose receive clock went back.
    expect(await store().table.write([{ record: aRecord() }, { record: aRecord({ receivedAt: T0 - 50 }) }])).toEqual([
      { kind: 'stored', topic: MAIN, epoch: T0 + 2 },
      { kind: 'stored', topic: MAIN, epoch: T0 + 3 },
    ]);
  });

  it('never overwrites after a restart, when the in-memory last epoch is gone', async () => {
    await store().table.write([{ record: aRecord({ document: { value: 1 } }) }, { record: aRecord({ document: { value: 2 } }) }]);
    const [outcome] = await store().reopen().write([{ record: aRecord({ document: { value: 3 } }) }]);
    expect(outcome).toEqual({ kind: 'stored', topic: MAIN, epoch: T0 + 2 });
    expect(values(await all())).toEqual([1, 2, 3]);
  });

  it('gives batches written concurrently epochs in the order they were submitted', async () => {
    const writes = [1, 2, 3].map((value) => store().table.write([{ record: aRecord({ document: { value } }) }]));
    const outcomes = (await Promise.all(writes)).flat();
    expect(outcomes.map((outcome) => 'epoch' in outcome && outcome.epoch)).toEqual([T0, T0 + 1, T0 + 2]);
    expect(values(await all())).toEqual([1, 2, 3]);
  });

  it('stores one copy when the same message arrives in two concurrent batches', async () => {
    const record = aRecord({ deviceEpoch: T0 });
    const outcomes = (await Promise.all([store().table.write([{ record }]), store().reopen().write([{ record }])])).flat();
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['duplicate', 'stored']);
    expect(await all()).toHaveLength(1);
  });

  it('keeps the same receive time on different topics apart without bumping', async () => {
    const outcomes = await store().table.write([{ record: aRecord() }, { record: aRecord({ topic: POWER }) }]);
    expect(outcomes.map((outcome) => 'epoch' in outcome && outcome.epoch)).toEqual([T0, T0]);
  });

  it('returns the payload as the JSON document received', async () => {
    const document = { value: 0.1, nested: { list: [1, 'two', null, true] }, big: 1e300, small: -0.000123, unit: 'ü' };
    await store().table.write([{ record: aRecord({ document }) }]);
    expect((await all())[0]?.payload).toEqual(JSON.parse(JSON.stringify(document)));
  });
}

function deadLetterContract(open: () => Promise<TelemetryTableHarness>): void {
  const store = fresh(open);

  it('writes dead letters with the records, in order, and counts them per thing and workspace', async () => {
    const outcomes = await store().table.write([
      { deadLetter: aDeadLetter({ reason: 'first', receivedAt: T0 }) },
      { record: aRecord() },
      { deadLetter: aDeadLetter({ reason: 'second', receivedAt: T0 + 1 }) },
      { deadLetter: aDeadLetter({ workspaceId: 'ws_other' }) },
    ]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['dead-lettered', 'stored', 'dead-lettered', 'dead-lettered']);
    expect(await store().table.countDeadLetters(WORKSPACE, THING)).toBe(2);
    expect(await store().table.countDeadLetters('ws_other', THING)).toBe(1);
    expect(await store().table.countDeadLetters(WORKSPACE, 'another-thing')).toBe(0);
    expect(await store().table.recentDeadLetters(WORKSPACE, THING, 10)).toEqual([
      { topic: MAIN, reason: 'second', receivedAt: T0 + 1 },
      { topic: MAIN, reason: 'first', receivedAt: T0 },
    ]);
  });

  it('keeps the refused bytes as they came, even when they are not text', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b, 0xfe]);
    await store().table.write([{ deadLetter: aDeadLetter() }, { deadLetter: aDeadLetter({ payload: bytes, receivedAt: T0 + 1 }) }]);
    const stored = await store().deadLetterPayloads(WORKSPACE, THING);
    expect(stored.map((payload) => payload.toString('hex'))).toEqual([Buffer.from('{oops').toString('hex'), bytes.toString('hex')]);
  });

  it('answers the latest ones first, as many as asked, in write order within a millisecond', async () => {
    const letters = Array.from({ length: 5 }, (_, i) => ({ deadLetter: aDeadLetter({ reason: `r${i}` }) }));
    await store().table.write(letters);
    const recent = await store().table.recentDeadLetters(WORKSPACE, THING, 3);
    expect(recent.map((letter) => letter.reason)).toEqual(['r4', 'r3', 'r2']);
    expect(await store().table.countDeadLetters(WORKSPACE, THING)).toBe(5);
  });
}

function queryContract(open: () => Promise<TelemetryTableHarness>): void {
  const store = fresh(open);
  const query = (overrides: Partial<TelemetryRange> = {}, workspaceId = WORKSPACE) => store().table.query(workspaceId, THING, range(overrides));

  // Ten messages one second apart, alternating between the main topic and the power stream, plus
  // the same thing name in another workspace and another thing in this one.
  beforeEach(async () => {
    await store().table.write(
      Array.from({ length: 10 }, (_, i) => ({
        record: aRecord({ topic: i % 2 ? POWER : MAIN, deviceEpoch: T0 + i * 1000, document: { value: i } }),
      })),
    );
    await store().table.write([
      { record: aRecord({ workspaceId: 'ws_other', deviceEpoch: T0 + 500, topic: `${MAIN}/x`, document: { value: 'theirs' } }) },
      { record: aRecord({ thingName: 'other-thing', deviceEpoch: T0 + 500, document: { value: 'other' } }) },
    ]);
  });

  it('returns every stream of the thing in its workspace, in time order, with the parsed payload', async () => {
    const items = await query();
    expect(values(items)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(items[1]).toEqual({ topic: POWER, epoch: T0 + 1000, payload: { value: 1 } });
  });

  it('is scoped to the workspace', async () => {
    expect(values(await query({}, 'ws_other'))).toEqual(['theirs']);
    expect(await query({}, 'ws_nobody')).toEqual([]);
  });

  it('filters by an inclusive time range', async () => {
    expect(values(await query({ from: T0 + 2000, to: T0 + 4000 }))).toEqual([2, 3, 4]);
    expect(values(await query({ from: T0 + 8500 }))).toEqual([9]);
    expect(values(await query({ to: T0 }))).toEqual([0]);
    expect(await query({ from: T0 + 5000, to: T0 + 4000 })).toEqual([]);
    expect(await query({ from: T0 + 20_000 })).toEqual([]);
  });

  it('orders newest first on request', async () => {
    expect(values(await query({ order: 'desc', limit: 3 }))).toEqual([9, 8, 7]);
    expect(values(await query({ order: 'desc', from: T0 + 2000, to: T0 + 4000 }))).toEqual([4, 3, 2]);
  });

  it.each(['asc', 'desc'] as const)('pages %s through a range with `after`, without gaps or repeats', async (order) => {
    const seen: unknown[] = [];
    let after: TelemetryRange['after'];
    for (let page = 0; page < 10; page++) {
      const items = await query({ order, limit: 2, after, from: T0 + 1000, to: T0 + 8000 });
      if (items.length === 0) break;
      seen.push(...values(items));
      const last = items[items.length - 1] as { epoch: number; topic: string };
      after = { epoch: last.epoch, topic: last.topic };
    }
    const expected = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
  });

  it('breaks ties on the same epoch by topic, also when paging', async () => {
    await store().table.write([
      { record: aRecord({ topic: `${MAIN}/b`, deviceEpoch: T0 + 20_000, document: { value: 'b' } }) },
      { record: aRecord({ topic: `${MAIN}/a`, deviceEpoch: T0 + 20_000, document: { value: 'a' } }) },
    ]);
    const [first] = await query({ from: T0 + 20_000, limit: 1 });
    expect(first?.payload.value).toBe('a');
    expect(values(await query({ from: T0 + 20_000, after: { epoch: T0 + 20_000, topic: first?.topic as string } }))).toEqual(['b']);
    expect(values(await query({ order: 'desc', limit: 2 }))).toEqual(['b', 'a']);
  });
}
