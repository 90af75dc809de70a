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

  // What the AWS IoT topic rule writes (packages/aws-iot's rule SQL): the workspace only in thingKey,
  // the payload as it came from the device, base64-encoded and not yet checked.
  const ruleImage = (payload: string) => ({
    topic: image.topic,
    epoch: image.epoch,
    thingName: image.thingName,
    thingKey: image.thingKey,
    seriesKey: { S: `00${image.epoch.N}#${image.topic.S}` },
    payload: { S: `base64:${Buffer.from(payload).toString('base64')}` },
  });

  it('reads an item the AWS IoT rule wrote: the workspace from thingKey, the payload decoded', () => {
    expect(toChangeRecord(aStreamRecord({}, ruleImage('{"value":2,"label":"Rule"}')))).toEqual({
      topic: 'telemetry/boiler-1/power',
      epoch: 1735732800000,
      workspaceId: 'ws_home',
      thingName: 'boiler-1',
      payload: '{"value":2,"label":"Rule"}',
    });
  });

  it.each([
    ['not JSON', 'not json'],
    ['not a telemetry object', '[1,2]'],
  ])('skips a rule-written payload that is %s, as the hub would have dead-lettered it', (_what, payload) => {
    expect(toChangeRecord(aStreamRecord({}, ruleImage(payload)))).toBeUndefined();
  });

  it('skips REMOVE events, even carrying an image', () => {
    expect(toChangeRecord(aStreamRecord({ eventName: 'REMOVE' }))).toBeUndefined();
  });

  it.each([
    ['no image', aStreamRecord({ dynamodb: { SequenceNumber: '1' } })],
    ['no payload', aStreamRecord({}, { ...image, payload: undefined })],
    ['a payload that is not text', aStreamRecord({}, { ...image, payload: { M: {} } })],
    ['no workspace', aStreamRecord({}, { ...image, workspaceId: undefined, thingKey: undefined })],
    ['an epoch that is text', aStreamRecord({}, { ...image, epoch: { S: '1735732800000' } })],
    ['an epoch beyond safe integers', aStreamRecord({}, { ...image, epoch: { N: '12345678901234567890' } })],
  ])('skips an item with %s', (_, record) => {
    expect(toChangeRecord(record)).toBeUndefined();
  });
});
