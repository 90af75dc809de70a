import type { StreamAttributeValue, StreamRecord } from '@citus/dynamodb';
import { toRegistryChange } from '../src/adapters/dynamodb/registry-change.mapper.js';

// Stream records shaped as DynamoDB Streams (NEW_AND_OLD_IMAGES) carries the registry's items.
type Fields = Record<string, string>;
const image = (fields: Fields): Record<string, StreamAttributeValue> => Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, { S: value }]));
const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', images: { old?: Fields; new?: Fields }): StreamRecord => ({
  eventName,
  dynamodb: { ...(images.old ? { OldImage: image(images.old) } : {}), ...(images.new ? { NewImage: image(images.new) } : {}) },
});

const device = { pk: 'DEVICE#dev_1', sk: 'DEVICE', kind: 'device', id: 'dev_1', workspaceId: 'ws_home', thingName: 'boiler-1a2b3c4d', name: 'Boiler' };
const marker = { pk: 'THING#boiler-1a2b3c4d', sk: 'THING', kind: 'thing-name', deviceId: 'dev_1', workspaceId: 'ws_home' };
const certificate = {
  pk: 'DEVICE#dev_1',
  sk: 'CERT#c1',
  kind: 'certificate',
  id: 'c1',
  thingName: 'boiler-1a2b3c4d',
  workspaceId: 'ws_home',
  status: 'ACTIVE',
  notAfter: '2030-01-01T00:00:00.000Z',
};
const thing = { thingName: 'boiler-1a2b3c4d', workspaceId: 'ws_home' };

describe('toRegistryChange', () => {
  it('a device or its thing-name marker written adds the thing; the marker names it by its key', () => {
    expect(toRegistryChange(record('INSERT', { new: device }))).toEqual({ kind: 'thing-added', thing });
    expect(toRegistryChange(record('MODIFY', { old: device, new: { ...device, name: 'Big Boiler' } }))).toEqual({ kind: 'thing-added', thing });
    expect(toRegistryChange(record('INSERT', { new: marker }))).toEqual({ kind: 'thing-added', thing });
  });

  it('a device removed is named by its old image; its marker removed alone says nothing', () => {
    expect(toRegistryChange(record('REMOVE', { old: device }))).toEqual({ kind: 'thing-removed', thing });
    expect(toRegistryChange(record('REMOVE', { old: marker }))).toBeUndefined();
  });

  it('an active certificate is added; one that went from ACTIVE to REVOKED is revoked now', () => {
    expect(toRegistryChange(record('INSERT', { new: certificate }))).toEqual({
      kind: 'certificate-active',
      certificate: { id: 'c1', thingName: thing.thingName, workspaceId: 'ws_home', notAfter: certificate.notAfter },
    });
    expect(toRegistryChange(record('MODIFY', { old: certificate, new: { ...certificate, status: 'REVOKED' } }))).toEqual({
      kind: 'certificate-inactive',
      certificateId: 'c1',
      thingName: thing.thingName,
      revokedNow: true,
    });
  });

  it('a certificate written revoked, or removed, is inactive without being revoked now', () => {
    const revoked = { ...certificate, status: 'REVOKED' };
    expect(toRegistryChange(record('MODIFY', { old: revoked, new: { ...revoked, revokedAt: 'later' } }))).toMatchObject({ kind: 'certificate-inactive', revokedNow: false });
    expect(toRegistryChange(record('REMOVE', { old: certificate }))).toMatchObject({ kind: 'certificate-inactive', revokedNow: false });
  });

  it('items the directory does not hold give nothing', () => {
    expect(toRegistryChange(record('INSERT', { new: { pk: 'DEVICE#dev_1', sk: 'ACTIVATION', kind: 'activation', deviceId: 'dev_1' } }))).toBeUndefined();
    expect(toRegistryChange(record('INSERT', { new: { pk: 'CERT#c1', sk: 'CERT', kind: 'certificate-id', deviceId: 'dev_1' } }))).toBeUndefined();
    expect(toRegistryChange(record('INSERT', {}))).toBeUndefined();
  });
});
