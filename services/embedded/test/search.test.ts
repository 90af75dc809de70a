import { setTimeout as delay } from 'node:timers/promises';
import { SearchResults, type ErrorEnvelope } from '@citus/contracts';
import { connectMqtt } from './support/devices.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

// Issue 5 point 3, search: through the real platform (MQTT over TLS -> telemetry.db -> change feed
// -> indexer -> search.db -> HTTP). The index is eventually consistent (fed asynchronously from the
// change log), so every expectation about new data polls for up to a few seconds.
describe('the search API', () => {
  let platform: TestPlatform;
  let admin: Api;
  let elsewhere: Api; // the same admin, acting in workspace "other"
  let kitchen: ActivatedDevice;
  let cellar: ActivatedDevice;
  let theirs: ActivatedDevice;
  let t0: number;

  const publish = async (device: ActivatedDevice, messages: Array<Record<string, unknown>>) => {
    const client = await connectMqtt(platform, device);
    for (const payload of messages) await client.publishAsync(`telemetry/${device.device.thingName}`, JSON.stringify(payload), { qos: 1 });
    await client.endAsync();
  };

  const search = (query: string, api = admin) => api.get<SearchResults | ErrorEnvelope>(`/api/v1/search?${query}`);

  /** Polls until `accept` holds for the answer (the index trails the store), then returns it. */
  async function eventually(query: string, accept: (body: SearchResults) => boolean, api = admin): Promise<SearchResults> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const response = await search(query, api);
      expect(response.status).toBe(200);
      const body = SearchResults.parse(response.body);
      if (accept(body)) return body;
      if (Date.now() > deadline) throw new Error(`search ${query} never gave the expected answer; last: ${JSON.stringify(body)}`);
      await delay(50);
    }
  }

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'other', name: 'Other' })).status).toBe(201);
    elsewhere = admin.inWorkspace('other');
    kitchen = await declareAndActivate(admin, 'Kitchen gas sensor');
    cellar = await declareAndActivate(admin, 'Cellar boiler');
    // Another workspace with look-alike data: none of it may ever show up in the first one's answers.
    theirs = await declareAndActivate(elsewhere, 'Kitchen gas sensor next door');
    t0 = Date.now() - 60_000;
    await publish(kitchen, [
      { '@timestamp': t0, value: 412.5, unit: 'PPM', label: 'Leakage' },
      { '@timestamp': t0 + 1_000, value: 398, unit: 'PPM', label: 'Leakage', note: 'valve checked' },
    ]);
    await publish(cellar, [{ '@timestamp': t0 + 2_000, value: 61.5, unit: 'Celsius', label: 'Boiler temperature' }]);
    await publish(theirs, [{ '@timestamp': t0, value: 999, unit: 'PPM', label: 'Leakage' }]);
  });
  afterAll(() => platform.destroy());

  it('finds telemetry by label, unit and free text, with its fields, in the caller workspace only', async () => {
    const leaks = await eventually('q=leakage%20ppm&kind=telemetry', (body) => body.items.length === 2);
    expect(leaks.items.map((hit) => (hit.kind === 'telemetry' ? [hit.telemetry.thingName, hit.telemetry.epoch] : hit.kind)).sort()).toEqual([
      [kitchen.device.thingName, t0],
      [kitchen.device.thingName, t0 + 1_000],
    ]);
    expect(leaks.items[0]).toEqual({
      kind: 'telemetry',
      score: expect.any(Number),
      telemetry: expect.objectContaining({ topic: `telemetry/${kitchen.device.thingName}`, label: 'Leakage', unit: 'PPM' }),
    });
    const note = await eventually('q=valve', (body) => body.items.length > 0);
    expect(note.items).toEqual([expect.objectContaining({ kind: 'telemetry', telemetry: expect.objectContaining({ epoch: t0 + 1_000, value: 398 }) })]);
    const celsius = await eventually('q=celsius', (body) => body.items.length > 0);
    expect(celsius.items).toEqual([expect.objectContaining({ telemetry: expect.objectContaining({ thingName: cellar.device.thingName, value: 61.5 }) })]);
    const theirLeaks = await eventually('q=leakage&kind=telemetry', (body) => body.items.length > 0, elsewhere);
    expect(theirLeaks.items.map((hit) => hit.kind === 'telemetry' && hit.telemetry.thingName)).toEqual([theirs.device.thingName]);
  });

  it('finds devices by name, and follows renames', async () => {
    const found = await eventually('q=kitchen&kind=device', (body) => body.items.length > 0);
    expect(found.items).toEqual([{ kind: 'device', score: expect.any(Number), device: { thingName: kitchen.device.thingName, name: 'Kitchen gas sensor' } }]);
    const renamed = await admin.patch(`/api/v1/devices/${cellar.device.id}`, { name: 'Basement boiler', location: 'Basement' });
    expect(renamed.status).toBe(200);
    const basement = await eventually('q=basement&kind=device', (body) => body.items.length > 0);
    expect(basement.items).toEqual([
      expect.objectContaining({ device: { thingName: cellar.device.thingName, name: 'Basement boiler', location: 'Basement' } }),
    ]);
    // Still found by its thing name (made from the first name), but only as the renamed device: no stale copy.
    const byOldWord = SearchResults.parse((await search('q=cellar&kind=device')).body);
    expect(byOldWord.items.map((hit) => hit.kind === 'device' && hit.device.name)).toEqual(['Basement boiler']);
    const theirDevices = await eventually('q=kitchen&kind=device', (body) => body.items.length > 0, elsewhere);
    expect(theirDevices.items.map((hit) => hit.kind === 'device' && hit.device.thingName)).toEqual([theirs.device.thingName]);
  });

  it('narrows by thing and time range, and pages with the cursor', async () => {
    await eventually('q=ppm', (body) => body.items.length === 2);
    const byThing = await search(`q=leakage&thingName=${cellar.device.thingName}`);
    expect(byThing.body).toEqual({ items: [] });
    const early = await search(`q=leakage&from=${t0 - 10}&to=${t0 + 10}`);
    expect((early.body as SearchResults).items.map((hit) => hit.kind === 'telemetry' && hit.telemetry.epoch)).toEqual([t0]);
    const iso = await search(`q=leakage&from=${new Date(t0 + 500).toISOString()}`);
    expect((iso.body as SearchResults).items.map((hit) => hit.kind === 'telemetry' && hit.telemetry.epoch)).toEqual([t0 + 1_000]);
    const first = SearchResults.parse((await search('q=ppm&limit=1')).body);
    expect(first.items).toHaveLength(1);
    expect(first.next).toEqual(expect.any(String));
    const second = SearchResults.parse((await search(`q=ppm&limit=1&cursor=${encodeURIComponent(first.next ?? '')}`)).body);
    expect(second.items).toHaveLength(1);
    expect(second.next).toBeUndefined();
    expect(second.items[0]).not.toEqual(first.items[0]);
  });

  it('drops a deleted thing from device hits; its telemetry stays, like the stored telemetry', async () => {
    const doomed = await declareAndActivate(admin, 'Garage door sensor');
    await publish(doomed, [{ '@timestamp': t0, value: 1, label: 'Garage open' }]);
    await eventually('q=garage', (body) => body.items.length === 2);
    expect((await admin.delete(`/api/v1/devices/${doomed.device.id}`)).status).toBe(204);
    const after = await eventually('q=garage', (body) => body.items.length === 1);
    expect(after.items).toEqual([expect.objectContaining({ kind: 'telemetry', telemetry: expect.objectContaining({ thingName: doomed.device.thingName }) })]);
  });

  it('answers 401 without a token and 400 for a bad query', async () => {
    expect((await new Api(platform.baseUrl).get('/api/v1/search?q=leakage')).status).toBe(401);
    for (const query of ['', 'q=', 'q=x&kind=thing', 'q=x&limit=0', 'q=x&limit=101', `q=x&from=${t0}&to=${t0 - 1}`, 'q=x&thingName=bad%20name', 'q=x&cursor=nope']) {
      const response = await search(query);
      expect([query, response.status]).toEqual([query, 400]);
      expect(response.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });
});
