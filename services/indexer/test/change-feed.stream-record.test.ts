import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { toChangeRecord } from '../src/adapters/dynamodb/stream-record.mapper.js';

// Stream records as DynamoDB Streams (NEW_IMAGE) carries the hub's telemetry items.
const image = {
  topic: { S: 'telemetry/boiler-1/power' },
  epoch: { N: '1735732800000' },
  workspaceId: { S: 'ws_home' },
  thingName: { S: 'boiler-1' },
  payload: { S: '{"value":1.5,"unit":"kW"}' },
  thingKey: { S: 'ws_home#boiler-1' },
  receivedAt: { N: '1735732800001' },
};
const aStreamRecord = (overrides: Partial<StreamRecord> = {}, newImage: Record<string, unknown> = image): StreamRecord =>
  ({ eventName: 'INSERT', dynamodb: { NewImage: newImage, SequenceNumber: '100' }, ...overrides }) as StreamRecord;

describe('toChangeRecord', () => {
  it('reads the telemetry fields of an INSERT, the payload kept as the stored text', () => {
    expect(toChangeRecord(aStreamRecord())).toEqual({
      topic: 'telemetry/boiler-1/power',
      epoch: 1735732800000,
      workspaceId: 'ws_home',
      thingName: 'boiler-1',
      payload: '{"value":1.5,"unit":"kW"}',
    });
  });

  it('indexes a MODIFY like an INSERT (index writes are idempotent)', () => {
    expect(toChangeRecord(aStreamRecord({ eventName: 'MODIFY' }))?.epoch).toBe(1735732800000);
  });

  it('skips REMOVE events, even carrying an image', () => {
    expect(toChangeRecord(aStreamRecord({ eventName: 'REMOVE' }))).toBeUndefined();
  });

  it.each([
    ['no image', aStreamRecord({ dynamodb: { SequenceNumber: '1' } })],
    ['no payload', aStreamRecord({}, { ...image, payload: undefined })],
    ['a payload that is not text', aStreamRecord({}, { ...image, payload: { M: {} } })],
    ['no workspace', aStreamRecord({}, { ...image, workspaceId: undefined })],
    ['an epoch that is text', aStreamRecord({}, { ...image, epoch: { S: '1735732800000' } })],
    ['an epoch beyond safe integers', aStreamRecord({}, { ...image, epoch: { N: '12345678901234567890' } })],
  ])('skips an item with %s', (_, record) => {
    expect(toChangeRecord(record)).toBeUndefined();
  });
});
