import type { _Record as StreamRecord, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import { toDeviceChange } from '../src/adapters/dynamodb/registry-record.mapper.js';

// Stream records as DynamoDB Streams (NEW_AND_OLD_IMAGES) carries the registry's items
// (services/device-lifecycle/src/adapters/dynamodb/registry.items.ts).
type Image = Record<string, AttributeValue>;
const deviceImage = (overrides: Image = {}): Image => ({
  pk: { S: 'DEVICE#dev_1' },
  sk: { S: 'DEVICE' },
  kind: { S: 'device' },
  id: { S: 'dev_1' },
  workspaceId: { S: 'ws_home' },
  thingName: { S: 'kitchen-sensor-1a2b3c4d' },
  name: { S: 'Kitchen Sensor' },
  type: { S: 'gas' },
  location: { S: 'Kitchen' },
  latitude: { NULL: true },
  status: { S: 'declared' },
  listKey: { S: '2025-01-01T12:00:00.000Z#dev_1' },
  version: { N: '1' },
  ...overrides,
});
const aRecord = (eventName: StreamRecord['eventName'], images: { NewImage?: Image; OldImage?: Image }): StreamRecord =>
  ({ eventName, dynamodb: { ...images, SequenceNumber: '100' } }) as StreamRecord;

const KITCHEN = { workspaceId: 'ws_home', thingName: 'kitchen-sensor-1a2b3c4d', name: 'Kitchen Sensor', type: 'gas', location: 'Kitchen' };

describe('toDeviceChange', () => {
  it('makes a declared device (INSERT) a change with the fields the device.changed event carries', () => {
    expect(toDeviceChange(aRecord('INSERT', { NewImage: deviceImage() }))).toEqual({ kind: 'changed', device: KITCHEN });
  });

  it('leaves out a type and a location the registry stores as null', () => {
    const image = deviceImage({ type: { NULL: true }, location: { NULL: true } });
    expect(toDeviceChange(aRecord('INSERT', { NewImage: image }))).toEqual({
      kind: 'changed',
      device: { workspaceId: 'ws_home', thingName: 'kitchen-sensor-1a2b3c4d', name: 'Kitchen Sensor' },
    });
  });

  it('makes a rename (MODIFY) a change with the new name', () => {
    const record = aRecord('MODIFY', { OldImage: deviceImage(), NewImage: deviceImage({ name: { S: 'Pantry Sensor' } }) });
    expect(toDeviceChange(record)).toEqual({ kind: 'changed', device: { ...KITCHEN, name: 'Pantry Sensor' } });
  });

  it('skips a MODIFY that leaves the indexed fields as they were (an activation)', () => {
    const activated = deviceImage({ status: { S: 'active' }, certificateId: { S: 'c'.repeat(64) }, version: { N: '2' } });
    expect(toDeviceChange(aRecord('MODIFY', { OldImage: deviceImage(), NewImage: activated }))).toBeUndefined();
  });

  it('makes a MODIFY without an old image a change (nothing to compare with)', () => {
    expect(toDeviceChange(aRecord('MODIFY', { NewImage: deviceImage() }))).toEqual({ kind: 'changed', device: KITCHEN });
  });

  it("makes a deleted device (REMOVE) a deletion named by its old image", () => {
    expect(toDeviceChange(aRecord('REMOVE', { OldImage: deviceImage() }))).toEqual({
      kind: 'deleted',
      workspaceId: 'ws_home',
      thingName: 'kitchen-sensor-1a2b3c4d',
    });
  });

  it('ignores the items that are not devices: activations, certificates, name markers', () => {
    const marker = { pk: { S: 'THING#kitchen-sensor-1a2b3c4d' }, sk: { S: 'THING' }, kind: { S: 'thing-name' }, deviceId: { S: 'dev_1' }, workspaceId: { S: 'ws_home' } };
    const certificate = deviceImage({ sk: { S: 'CERT#abc' }, kind: { S: 'certificate' } });
    expect(toDeviceChange(aRecord('INSERT', { NewImage: marker }))).toBeUndefined();
    expect(toDeviceChange(aRecord('REMOVE', { OldImage: marker }))).toBeUndefined();
    expect(toDeviceChange(aRecord('INSERT', { NewImage: certificate }))).toBeUndefined();
    expect(toDeviceChange(aRecord('MODIFY', { OldImage: certificate, NewImage: certificate }))).toBeUndefined();
  });

  it('ignores a device item missing a field it needs, or a record without its image', () => {
    const { name: _name, ...nameless } = deviceImage();
    expect(toDeviceChange(aRecord('INSERT', { NewImage: nameless }))).toBeUndefined();
    expect(toDeviceChange(aRecord('INSERT', {}))).toBeUndefined();
    expect(toDeviceChange(aRecord('REMOVE', {}))).toBeUndefined();
  });
});
