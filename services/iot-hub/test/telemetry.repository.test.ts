import type { TelemetryRange } from '../src/domain/telemetry.model.js';
import { aDeadLetter, aRecord, T0, telemetryStore, THING, WORKSPACE, type TelemetryStore } from './support/telemetry-fixture.js';

const range = (overrides: Partial<TelemetryRange> = {}): TelemetryRange => ({ limit: 100, order: 'asc', ...overrides });

describe('SqliteTelemetryRepository writes', () => {
  let store: TelemetryStore;
  beforeEach(() => {
    store = telemetryStore();
  });
  afterEach(() => store.destroy());

  it('stores a message with a device timestamp at that epoch, and a resend is a duplicate', () => {
    const record = aRecord({ deviceEpoch: T0 - 500, receivedAt: T0 });
    expect(store.repository.write([{ record }])).toEqual([{ kind: 'stored', topic: record.topic, epoch: T0 - 500 }]);
    const resend = { ...record, receivedAt: T0 + 10_000 };
    expect(store.repository.write([{ record: resend }])).toEqual([{ kind: 'duplicate', topic: record.topic, epoch: T0 - 500 }]);
    expect(store.rows()).toHaveLength(1);
  });

  it('recognises a resend after a restart too', () => {
    const record = aRecord({ deviceEpoch: T0 });
    store.repository.write([{ record }]);
    expect(store.reopen().write([{ record }])).toEqual([{ kind: 'duplicate', topic: record.topic, epoch: T0 }]);
  });

  it('keeps a different message with the same device timestamp, at another epoch', () => {
    const first = aRecord({ deviceEpoch: T0, document: { value: 1, '@timestamp': T0 } });
    const second = aRecord({ deviceEpoch: T0, receivedAt: T0 + 5, document: { value: 2, '@timestamp': T0 } });
    const [, outcome] = store.repository.write([{ record: first }, { record: second }]);
    expect(outcome).toMatchObject({ kind: 'stored' });
    expect(outcome).not.toMatchObject({ epoch: T0 });
    expect(store.rows().map((row) => JSON.parse(row.payload).value)).toEqual([1, 2]);
  });

  // The displaced message was stored at its receive time, so its resend finds a different payload
  // at the device timestamp; it must still be recognised as a resend and not stored again.
  it('treats a resend of a displaced message as a duplicate as well', () => {
    const first = aRecord({ deviceEpoch: T0, document: { value: 1, '@timestamp': T0 } });
    const second = aRecord({ deviceEpoch: T0, receivedAt: T0 + 5, document: { value: 2, '@timestamp': T0 } });
    store.repository.write([{ record: first }, { record: second }]);
    const [again] = store.repository.write([{ record: { ...second, receivedAt: T0 + 60_000 } }]);
    expect(again).toMatchObject({ kind: 'duplicate' });
    expect(store.rows()).toHaveLength(2);
  });

  it('keeps two messages received in the same millisecond, one ms apart', () => {
    const outcomes = store.repository.write([{ record: aRecord({ document: { value: 1 } }) }, { record: aRecord({ document: { value: 2 } }) }]);
    expect(outcomes).toEqual([
      { kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 },
      { kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 + 1 },
    ]);
    // A third one in a later batch of the same ms, and one whose receive clock went back.
    expect(store.repository.write([{ record: aRecord() }, { record: aRecord({ receivedAt: T0 - 50 }) }])).toEqual([
      { kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 + 2 },
      { kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 + 3 },
    ]);
  });

  it('never overwrites after a restart, when the in-memory last epoch is gone', () => {
    store.repository.write([{ record: aRecord({ document: { value: 1 } }) }]);
    const [outcome] = store.reopen().write([{ record: aRecord({ document: { value: 2 } }) }]);
    expect(outcome).toEqual({ kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 + 1 });
    expect(store.rows()).toHaveLength(2);
  });

  it('keeps the same receive time on different topics apart without bumping', () => {
    const outcomes = store.repository.write([{ record: aRecord() }, { record: aRecord({ topic: `telemetry/${THING}/power` }) }]);
    expect(outcomes.map((outcome) => 'epoch' in outcome && outcome.epoch)).toEqual([T0, T0]);
  });

  it('writes dead letters in order with the records and counts them per thing and workspace', () => {
    const outcomes = store.repository.write([
      { deadLetter: aDeadLetter({ reason: 'first', receivedAt: T0 }) },
      { record: aRecord() },
      { deadLetter: aDeadLetter({ reason: 'second', receivedAt: T0 + 1 }) },
      { deadLetter: aDeadLetter({ workspaceId: 'ws_other' }) },
    ]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['dead-lettered', 'stored', 'dead-lettered', 'dead-lettered']);
    expect(store.repository.countDeadLetters(WORKSPACE, THING)).toBe(2);
    expect(store.repository.countDeadLetters('ws_other', THING)).toBe(1);
    expect(store.repository.countDeadLetters(WORKSPACE, 'another-thing')).toBe(0);
    expect(store.repository.recentDeadLetters(WORKSPACE, THING, 10)).toEqual([
      { topic: `telemetry/${THING}`, reason: 'second', receivedAt: T0 + 1 },
      { topic: `telemetry/${THING}`, reason: 'first', receivedAt: T0 },
    ]);
    const payload = store.db.prepare('SELECT payload FROM dead_letters ORDER BY id LIMIT 1').pluck().get() as Buffer;
    expect(payload.toString()).toBe('{oops');
  });
});

describe('SqliteTelemetryRepository.query', () => {
  let store: TelemetryStore;
  const power = `telemetry/${THING}/power`;

  beforeAll(() => {
    store = telemetryStore();
    // Ten messages one second apart, alternating between the main topic and the power stream,
    // plus the same thing name in another workspace and another thing in this one.
    store.repository.write(
      Array.from({ length: 10 }, (_, i) => ({
        record: aRecord({ topic: i % 2 ? power : `telemetry/${THING}`, deviceEpoch: T0 + i * 1000, document: { value: i } }),
      })),
    );
    store.repository.write([
      { record: aRecord({ workspaceId: 'ws_other', deviceEpoch: T0 + 500, topic: `telemetry/${THING}/x`, document: { value: 'theirs' } }) },
      { record: aRecord({ thingName: 'other-thing', deviceEpoch: T0 + 500, document: { value: 'other' } }) },
    ]);
  });
  afterAll(() => store.destroy());

  const values = (items: Array<{ payload: Record<string, unknown> }>) => items.map((item) => item.payload.value);

  it("returns every stream of the thing in its workspace, in time order, with the parsed payload", () => {
    const items = store.repository.query(WORKSPACE, THING, range());
    expect(values(items)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(items[1]).toEqual({ topic: power, epoch: T0 + 1000, payload: { value: 1 } });
  });

  it('is scoped to the workspace', () => {
    expect(values(store.repository.query('ws_other', THING, range()))).toEqual(['theirs']);
    expect(store.repository.query('ws_nobody', THING, range())).toEqual([]);
  });

  it('filters by an inclusive time range', () => {
    expect(values(store.repository.query(WORKSPACE, THING, range({ from: T0 + 2000, to: T0 + 4000 })))).toEqual([2, 3, 4]);
    expect(values(store.repository.query(WORKSPACE, THING, range({ from: T0 + 8500 })))).toEqual([9]);
    expect(values(store.repository.query(WORKSPACE, THING, range({ to: T0 }))).length).toBe(1);
  });

  it('orders newest first on request', () => {
    expect(values(store.repository.query(WORKSPACE, THING, range({ order: 'desc', limit: 3 })))).toEqual([9, 8, 7]);
  });

  it.each(['asc', 'desc'] as const)('pages %s through everything with `after`, without gaps or repeats', (order) => {
    const seen: unknown[] = [];
    let after: TelemetryRange['after'];
    for (let page = 0; page < 10; page++) {
      const items = store.repository.query(WORKSPACE, THING, range({ order, limit: 3, after }));
      if (items.length === 0) break;
      seen.push(...values(items));
      const last = items[items.length - 1] as { epoch: number; topic: string };
      after = { epoch: last.epoch, topic: last.topic };
    }
    const all = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(seen).toEqual(order === 'asc' ? all : all.reverse());
  });

  it('breaks ties on the same epoch by topic when paging', () => {
    const tie = telemetryStore();
    try {
      tie.repository.write([
        { record: aRecord({ topic: `telemetry/${THING}/b`, deviceEpoch: T0, document: { value: 'b' } }) },
        { record: aRecord({ topic: `telemetry/${THING}/a`, deviceEpoch: T0, document: { value: 'a' } }) },
      ]);
      const [first] = tie.repository.query(WORKSPACE, THING, range({ limit: 1 }));
      expect(first?.payload.value).toBe('a');
      const rest = tie.repository.query(WORKSPACE, THING, range({ after: { epoch: T0, topic: first?.topic as string } }));
      expect(values(rest)).toEqual(['b']);
    } finally {
      tie.destroy();
    }
  });
});
