import { createLogger, EventBus, type PlatformEvents } from '@citus/kit';
import { IngestService } from '../src/app/ingest.service.js';
import type { DeviceSession } from '../src/domain/device-session.model.js';
import { T0, telemetryStore, THING, WORKSPACE, type TelemetryStore } from './support/telemetry-fixture.js';

const session: DeviceSession = { clientId: THING, thingName: THING, workspaceId: WORKSPACE, certificateId: 'c'.repeat(64) };
const TOPIC = `telemetry/${THING}`;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('IngestService', () => {
  let store: TelemetryStore;
  let ingest: IngestService;
  let stored: Array<PlatformEvents['telemetry.stored']>;
  let clock: number;

  beforeEach(() => {
    store = telemetryStore();
    const events = new EventBus(createLogger({ level: 'silent' }));
    stored = [];
    events.on('telemetry.stored', (payload) => stored.push(payload));
    clock = T0;
    ingest = new IngestService(store.table, events, createLogger({ level: 'silent' }), { now: () => clock });
  });
  afterEach(() => store.destroy());

  const deadLetters = () => store.repository.recentDeadLetters(WORKSPACE, THING, 10);

  it('stores a valid message at its receive time and announces it with the workspace', async () => {
    const outcome = await ingest.ingest(session, TOPIC, json({ value: 412.5, unit: 'PPM', extra: 'kept' }));
    expect(outcome).toEqual({ kind: 'stored', topic: TOPIC, epoch: T0 });
    expect(store.repository.query(WORKSPACE, THING, { limit: 10, order: 'asc' })).toEqual([
      { topic: TOPIC, epoch: T0, payload: { value: 412.5, unit: 'PPM', extra: 'kept' } },
    ]);
    expect(stored).toEqual([
      { workspaceId: WORKSPACE, thingName: THING, items: [{ topic: TOPIC, epoch: T0, payload: { value: 412.5, unit: 'PPM', extra: 'kept' } }] },
    ]);
    expect(ingest.stats).toEqual({ stored: 1, duplicates: 0, deadLettered: 0, failedWrites: 0, refused: 0 });
  });

  it('uses a sane device timestamp as the epoch, so a resend is a duplicate and not announced again', async () => {
    const message = json({ '@timestamp': T0 - 30_000, value: 1 });
    expect(await ingest.ingest(session, TOPIC, message)).toEqual({ kind: 'stored', topic: TOPIC, epoch: T0 - 30_000 });
    clock += 5000;
    expect(await ingest.ingest(session, TOPIC, message)).toEqual({ kind: 'duplicate', topic: TOPIC, epoch: T0 - 30_000 });
    expect(stored).toHaveLength(1);
    expect(ingest.stats).toMatchObject({ stored: 1, duplicates: 1 });
  });

  it('dead-letters a payload that is not JSON, with the reason and the bytes as sent', async () => {
    expect(await ingest.ingest(session, TOPIC, Buffer.from('{"value": 1'))).toEqual({ kind: 'dead-lettered' });
    expect(deadLetters()).toEqual([{ topic: TOPIC, reason: 'payload is not valid JSON', receivedAt: T0 }]);
    expect(store.db.prepare('SELECT payload FROM dead_letters').pluck().get()).toEqual(Buffer.from('{"value": 1'));
    expect(stored).toEqual([]);
    expect(ingest.stats).toMatchObject({ stored: 0, deadLettered: 1 });
  });

  it.each([
    ['a non-numeric value', { value: 'high' }, /value: /],
    ['an array', [1, 2, 3], /\(payload\): /],
    ['null', null, /\(payload\): /],
    ['a string', 'hello', /\(payload\): /],
  ])('dead-letters %s with the schema problem as the reason', async (_what, payload, problem) => {
    expect(await ingest.ingest(session, TOPIC, json(payload))).toEqual({ kind: 'dead-lettered' });
    const [letter] = deadLetters();
    expect(letter?.reason).toMatch(/^payload fails the telemetry schema: /);
    expect(letter?.reason).toMatch(problem);
    expect(store.repository.query(WORKSPACE, THING, { limit: 10, order: 'asc' })).toEqual([]);
  });

  it('writes messages of one tick together and announces them once per thing', async () => {
    const other: DeviceSession = { ...session, clientId: 'pantry-2', thingName: 'pantry-2' };
    const outcomes = await Promise.all([
      ingest.ingest(session, TOPIC, json({ value: 1 })),
      ingest.ingest(session, `${TOPIC}/power`, json({ value: 2 })),
      ingest.ingest(other, 'telemetry/pantry-2', json({ value: 3 })),
      ingest.ingest(session, TOPIC, Buffer.from('not json')),
    ]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['stored', 'stored', 'stored', 'dead-lettered']);
    expect(stored).toEqual([
      {
        workspaceId: WORKSPACE,
        thingName: THING,
        items: [
          { topic: TOPIC, epoch: T0, payload: { value: 1 } },
          { topic: `${TOPIC}/power`, epoch: T0, payload: { value: 2 } },
        ],
      },
      { workspaceId: WORKSPACE, thingName: 'pantry-2', items: [{ topic: 'telemetry/pantry-2', epoch: T0, payload: { value: 3 } }] },
    ]);
  });

  it('keeps a burst received in one millisecond, each message at its own epoch', async () => {
    const outcomes = await Promise.all([1, 2, 3].map((value) => ingest.ingest(session, TOPIC, json({ value }))));
    expect(outcomes.map((outcome) => 'epoch' in outcome && outcome.epoch)).toEqual([T0, T0 + 1, T0 + 2]);
  });

  it('rejects, and counts, when the store cannot write: nothing may be acknowledged', async () => {
    store.db.close();
    await expect(ingest.ingest(session, TOPIC, json({ value: 1 }))).rejects.toThrow(/not open/);
    expect(ingest.stats.failedWrites).toBe(1);
    expect(stored).toEqual([]);
  });

  it('commits what is queued on drain', async () => {
    const pending = ingest.ingest(session, TOPIC, json({ value: 1 }));
    await ingest.drain();
    expect(store.rows()).toHaveLength(1);
    await expect(pending).resolves.toMatchObject({ kind: 'stored' });
  });
});
