import { iotshadow, mqtt } from 'aws-iot-device-sdk-v2';
import { createConnection } from '@citus/device-agent';
import { deviceFiles } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';
import { SdkReplies } from './support/sdk-replies.js';


const QOS = mqtt.QoS.AtLeastOnce;

// Issue 3 point 7 for shadows: the official AWS IoT Device SDK v2's IotShadowClient, over an
// MQTT 3.1.1 mutual-TLS connection built as firmware for AWS IoT Core builds it, drives every
// shadow topic of the hub, classic and named, and sees every rejection.
describe('Device Shadow conformance with the AWS IoT Device SDK v2 (iotshadow)', () => {
  let platform: TestPlatform;
  let connection: mqtt.MqttClientConnection;
  let shadow: iotshadow.IotShadowClient;
  let thingName: string;
  const replies = new SdkReplies();
  const NAMED = 'config';

  beforeAll(async () => {
    platform = await bootTestPlatform();
    const api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const device = await declareAndActivate(api, 'SDK thermostat');
    thingName = device.device.thingName;
    connection = createConnection(deviceFiles(device, platform), { endpoint: '127.0.0.1' });
    await connection.connect();
    shadow = new iotshadow.IotShadowClient(connection);
    const classic = { thingName };
    const named = { thingName, shadowName: NAMED };
    await Promise.all([
      shadow.subscribeToGetShadowAccepted(classic, QOS, replies.handler('get/accepted')),
      shadow.subscribeToGetShadowRejected(classic, QOS, replies.handler('get/rejected')),
      shadow.subscribeToUpdateShadowAccepted(classic, QOS, replies.handler('update/accepted')),
      shadow.subscribeToUpdateShadowRejected(classic, QOS, replies.handler('update/rejected')),
      shadow.subscribeToShadowDeltaUpdatedEvents(classic, QOS, replies.handler('update/delta')),
      shadow.subscribeToShadowUpdatedEvents(classic, QOS, replies.handler('update/documents')),
      shadow.subscribeToDeleteShadowAccepted(classic, QOS, replies.handler('delete/accepted')),
      shadow.subscribeToDeleteShadowRejected(classic, QOS, replies.handler('delete/rejected')),
      shadow.subscribeToGetNamedShadowAccepted(named, QOS, replies.handler('named/get/accepted')),
      shadow.subscribeToGetNamedShadowRejected(named, QOS, replies.handler('named/get/rejected')),
      shadow.subscribeToUpdateNamedShadowAccepted(named, QOS, replies.handler('named/update/accepted')),
      shadow.subscribeToUpdateNamedShadowRejected(named, QOS, replies.handler('named/update/rejected')),
      shadow.subscribeToNamedShadowDeltaUpdatedEvents(named, QOS, replies.handler('named/update/delta')),
      shadow.subscribeToNamedShadowUpdatedEvents(named, QOS, replies.handler('named/update/documents')),
      shadow.subscribeToDeleteNamedShadowAccepted(named, QOS, replies.handler('named/delete/accepted')),
      shadow.subscribeToDeleteNamedShadowRejected(named, QOS, replies.handler('named/delete/rejected')),
    ]);
  });
  afterAll(async () => {
    await connection?.disconnect();
    await platform.destroy();
  });

  it('rejects get and delete of a shadow that does not exist with 404', async () => {
    await shadow.publishGetShadow({ thingName, clientToken: 'get-missing' }, QOS);
    expect(await replies.next('get/rejected', 'get-missing')).toEqual({
      code: 404,
      message: `No shadow exists with name: '${thingName}'`,
      timestamp: expect.any(Number),
      clientToken: 'get-missing',
    });
    await shadow.publishDeleteShadow({ thingName, clientToken: 'delete-missing' }, QOS);
    expect(await replies.next('delete/rejected', 'delete-missing')).toMatchObject({ code: 404 });
  });

  it('accepts an update and publishes the delta and the documents', async () => {
    const deltas = replies.count('update/delta');
    await shadow.publishUpdateShadow({ thingName, clientToken: 'u1', state: { desired: { target: 21, mode: 'heat' }, reported: { target: 18 } } }, QOS);
    const accepted = await replies.next('update/accepted', 'u1');
    expect(accepted).toMatchObject({ state: { desired: { target: 21, mode: 'heat' }, reported: { target: 18 } }, version: 1 });
    expect(accepted.metadata).toMatchObject({ desired: { target: { timestamp: expect.any(Number) } } });
    const delta = await replies.next('update/delta', undefined, deltas);
    expect(delta).toMatchObject({ state: { target: 21, mode: 'heat' }, version: 1, metadata: { target: { timestamp: expect.any(Number) } } });
    const documents = await replies.next('update/documents', 'u1');
    expect(documents).toMatchObject({ current: { state: { desired: { target: 21, mode: 'heat' }, reported: { target: 18 } }, version: 1 } });
    expect(documents).not.toHaveProperty('previous');
  });

  it('answers get with state, delta, metadata and version', async () => {
    await shadow.publishGetShadow({ thingName, clientToken: 'g1' }, QOS);
    expect(await replies.next('get/accepted', 'g1')).toMatchObject({
      state: { desired: { target: 21, mode: 'heat' }, reported: { target: 18 }, delta: { target: 21, mode: 'heat' } },
      metadata: { desired: { mode: { timestamp: expect.any(Number) } }, reported: { target: { timestamp: expect.any(Number) } } },
      version: 1,
      timestamp: expect.any(Number),
    });
  });

  it('rejects a version conflict with 409 and accepts the current version', async () => {
    await shadow.publishUpdateShadow({ thingName, clientToken: 'stale', version: 7, state: { reported: { target: 21 } } }, QOS);
    expect(await replies.next('update/rejected', 'stale')).toMatchObject({ code: 409, message: 'Version conflict' });
    await shadow.publishUpdateShadow({ thingName, clientToken: 'fresh', version: 1, state: { reported: { target: 21, mode: 'heat' } } }, QOS);
    expect(await replies.next('update/accepted', 'fresh')).toMatchObject({ version: 2 });
    expect(await replies.next('update/documents', 'fresh')).toMatchObject({ previous: { version: 1 }, current: { version: 2 } });
    await shadow.publishGetShadow({ thingName, clientToken: 'g2' }, QOS);
    expect(await replies.next('get/accepted', 'g2')).not.toHaveProperty('state.delta');
  });

  it('rejects a state over 8 KB with 413', async () => {
    await shadow.publishUpdateShadow({ thingName, clientToken: 'big', state: { reported: { log: 'x'.repeat(9 * 1024) } } }, QOS);
    expect(await replies.next('update/rejected', 'big')).toMatchObject({ code: 413, message: 'The payload exceeds the maximum size allowed' });
  });

  it('rejects invalid JSON sent with a raw publish with 400', async () => {
    const before = replies.count('update/rejected');
    await connection.publish(`$aws/things/${thingName}/shadow/update`, '{"state": {', QOS);
    expect(await replies.next('update/rejected', undefined, before)).toEqual({ code: 400, message: 'Invalid JSON', timestamp: expect.any(Number) });
    const wrongType = replies.count('update/rejected');
    await connection.publish(`$aws/things/${thingName}/shadow/update`, JSON.stringify({ state: { desired: 'warm' } }), QOS);
    expect(await replies.next('update/rejected', undefined, wrongType)).toMatchObject({ code: 400, message: 'Desired node must be an object' });
  });

  it('serves a named shadow on its own topics', async () => {
    await shadow.publishGetNamedShadow({ thingName, shadowName: NAMED, clientToken: 'n0' }, QOS);
    expect(await replies.next('named/get/rejected', 'n0')).toMatchObject({ code: 404, message: `No shadow exists with name: '${NAMED}'` });
    await shadow.publishUpdateNamedShadow({ thingName, shadowName: NAMED, clientToken: 'n1', state: { desired: { interval: 30 } } }, QOS);
    expect(await replies.next('named/update/accepted', 'n1')).toMatchObject({ version: 1, state: { desired: { interval: 30 } } });
    expect(await replies.next('named/update/delta', 'n1')).toMatchObject({ state: { interval: 30 }, version: 1 });
    expect(await replies.next('named/update/documents', 'n1')).toMatchObject({ current: { version: 1 } });
    await shadow.publishUpdateNamedShadow({ thingName, shadowName: NAMED, clientToken: 'n2', version: 9, state: { reported: { interval: 30 } } }, QOS);
    expect(await replies.next('named/update/rejected', 'n2')).toMatchObject({ code: 409 });
    await shadow.publishGetNamedShadow({ thingName, shadowName: NAMED, clientToken: 'n3' }, QOS);
    expect(await replies.next('named/get/accepted', 'n3')).toMatchObject({ state: { delta: { interval: 30 } }, version: 1 });
    await shadow.publishDeleteNamedShadow({ thingName, shadowName: NAMED, clientToken: 'n4' }, QOS);
    expect(await replies.next('named/delete/accepted', 'n4')).toEqual({ version: 1, timestamp: expect.any(Number), clientToken: 'n4' });
    await shadow.publishDeleteNamedShadow({ thingName, shadowName: NAMED, clientToken: 'n5' }, QOS);
    expect(await replies.next('named/delete/rejected', 'n5')).toMatchObject({ code: 404 });
    // The classic shadow is untouched by all of this.
    await shadow.publishGetShadow({ thingName, clientToken: 'g3' }, QOS);
    expect(await replies.next('get/accepted', 'g3')).toMatchObject({ version: 2 });
  });

  it('deletes the classic shadow, and a new one continues from its version', async () => {
    await shadow.publishDeleteShadow({ thingName, clientToken: 'd1' }, QOS);
    expect(await replies.next('delete/accepted', 'd1')).toEqual({ version: 2, timestamp: expect.any(Number), clientToken: 'd1' });
    await shadow.publishGetShadow({ thingName, clientToken: 'g4' }, QOS);
    expect(await replies.next('get/rejected', 'g4')).toMatchObject({ code: 404 });
    await shadow.publishUpdateShadow({ thingName, clientToken: 'u3', state: { reported: { target: 19 } } }, QOS);
    expect(await replies.next('update/accepted', 'u3')).toMatchObject({ version: 3 });
  });

  it('removes keys and sections with null', async () => {
    await shadow.publishUpdateShadow({ thingName, clientToken: 'n-set', state: { desired: { a: 1, b: [1, 2] }, reported: { a: 1 } } }, QOS);
    await replies.next('update/accepted', 'n-set');
    // The SDK's ShadowState types say object, but AWS documents null as the way to delete.
    const state = { desired: { a: null, b: [3] }, reported: null } as unknown as iotshadow.model.ShadowState;
    await shadow.publishUpdateShadow({ thingName, clientToken: 'n-del', state }, QOS);
    expect(await replies.next('update/accepted', 'n-del')).toMatchObject({ state: { desired: { a: null, b: [3] }, reported: null } });
    await shadow.publishGetShadow({ thingName, clientToken: 'g5' }, QOS);
    const got = await replies.next('get/accepted', 'g5');
    expect(got.state).toEqual({ desired: { b: [3] }, delta: { b: [3] } });
  });
});
