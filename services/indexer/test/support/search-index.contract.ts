import { AppError } from '@citus/kit';
import type { SearchHit, SearchIndex } from '../../src/domain/search-index.port.js';
import { aDevice, aQuery, aTelemetryDocument, OTHER_WORKSPACE, T0, THING, WORKSPACE } from './search-fixture.js';

/** One adapter's storage, fresh for each test. */
export interface SearchIndexHarness {
  index: SearchIndex;
  /** A second adapter over the same storage, as after a restart. */
  reopen(): Promise<SearchIndex>;
  destroy(): Promise<void>;
}

/** What a test compares: which documents came back, in order. */
const keys = (items: SearchHit[]): string[] =>
  items.map((hit) => (hit.kind === 'device' ? `device:${hit.device.thingName}` : `telemetry:${hit.telemetry.id}`));

/**
 * The rules every `SearchIndex` adapter keeps (see the port). Runs against the SQLite FTS5 adapter
 * on a real file. The Elasticsearch adapter cannot run it: no cluster runs here and
 * @elastic/elasticsearch-mock answers canned responses without searching, so that adapter's tests
 * (`elastic.search-index.mocked.test.ts`) assert its requests and response mapping instead.
 */
export function searchIndexContract(adapter: string, open: () => Promise<SearchIndexHarness>): void {
  describe(`${adapter} writes`, () => writeContract(open));
  describe(`${adapter} search`, () => searchContract(open));
  describe(`${adapter} user text`, () => userTextContract(open));
  describe(`${adapter} paging`, () => pagingContract(open));
}

function fresh(open: () => Promise<SearchIndexHarness>): () => SearchIndexHarness {
  let harness: SearchIndexHarness | undefined;
  beforeEach(async () => {
    harness = await open();
  });
  afterEach(async () => {
    await harness?.destroy();
    harness = undefined;
  });
  return () => harness as SearchIndexHarness;
}

function writeContract(open: () => Promise<SearchIndexHarness>): void {
  const store = fresh(open);
  const index = () => store().index;

  it('returns a telemetry document found by its label, without its text', async () => {
    const doc = aTelemetryDocument();
    await index().upsertTelemetry([doc]);
    const { text: _text, ...withoutText } = doc;
    expect((await index().search(WORKSPACE, aQuery('leakage'))).items).toEqual([
      { kind: 'telemetry', score: expect.any(Number), telemetry: withoutText },
    ]);
  });

  it('keeps one document per telemetry id however often it is written, the last write winning', async () => {
    await index().upsertTelemetry([aTelemetryDocument({ text: 'boiler' })]);
    await index().upsertTelemetry([aTelemetryDocument({ text: 'boiler' }), aTelemetryDocument({ text: 'boiler', value: 7 })]);
    const { items } = await index().search(WORKSPACE, aQuery('boiler'));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'telemetry', telemetry: { value: 7 } });
  });

  it('replaces a device by workspace and thing name: the old name no longer matches', async () => {
    await index().upsertDevices([aDevice({ name: 'Cellar pump' })]);
    await index().upsertDevices([aDevice({ name: 'Garage pump', type: undefined, location: undefined })]);
    expect((await index().search(WORKSPACE, aQuery('cellar'))).items).toEqual([]);
    expect((await index().search(WORKSPACE, aQuery('pump'))).items).toEqual([
      { kind: 'device', score: expect.any(Number), device: { workspaceId: WORKSPACE, thingName: THING, name: 'Garage pump' } },
    ]);
  });

  it('removes a device, and removing an unknown one is harmless', async () => {
    await index().upsertDevices([aDevice({ name: 'Cellar pump' }), aDevice({ thingName: 'pump-2', name: 'Cellar pump two' })]);
    await index().removeDevice(WORKSPACE, THING);
    await index().removeDevice(WORKSPACE, 'never-there');
    await index().removeDevice(OTHER_WORKSPACE, 'pump-2');
    expect(keys((await index().search(WORKSPACE, aQuery('cellar'))).items)).toEqual(['device:pump-2']);
  });

  it('keeps what was written after a restart', async () => {
    await index().upsertTelemetry([aTelemetryDocument()]);
    await index().upsertDevices([aDevice()]);
    await index().close();
    store().index = await store().reopen();
    expect(keys((await index().search(WORKSPACE, aQuery('kitchen'))).items).sort()).toEqual(
      [`device:${THING}`, `telemetry:telemetry/${THING}#${T0}`].sort(),
    );
  });
}

function searchContract(open: () => Promise<SearchIndexHarness>): void {
  const store = fresh(open);
  const index = () => store().index;
  const search = (text: string, overrides = {}) => index().search(WORKSPACE, aQuery(text, overrides)).then((page) => keys(page.items));

  beforeEach(async () => {
    await index().upsertTelemetry([
      aTelemetryDocument({ epoch: T0, text: 'Leakage PPM kitchen' }),
      aTelemetryDocument({ epoch: T0 + 1000, label: 'Temperature', unit: 'C', text: 'Temperature C kitchen' }),
      aTelemetryDocument({ thingName: 'boiler-1', epoch: T0 + 2000, label: undefined, unit: undefined, value: undefined, text: 'door open' }),
      aTelemetryDocument({ workspaceId: OTHER_WORKSPACE, epoch: T0, text: 'Leakage PPM kitchen secret' }),
    ]);
    await index().upsertDevices([
      aDevice(),
      aDevice({ thingName: 'boiler-1', name: 'Basement boiler', type: 'boiler', location: 'Basement' }),
      aDevice({ workspaceId: OTHER_WORKSPACE, thingName: 'secret-1', name: 'Secret kitchen sensor' }),
    ]);
  });

  it("finds telemetry and devices of the caller's workspace only", async () => {
    expect((await search('kitchen')).sort()).toEqual(
      [`device:${THING}`, `telemetry:telemetry/${THING}#${T0}`, `telemetry:telemetry/${THING}#${T0 + 1000}`].sort(),
    );
    expect(await search('secret')).toEqual([]);
    expect(keys((await index().search(OTHER_WORKSPACE, aQuery('secret'))).items)).toHaveLength(2);
  });

  it('matches device names, units and free text, ignoring case and accents', async () => {
    expect(await search('BASEMENT')).toEqual(['device:boiler-1']);
    expect(await search('ppm')).toEqual([`telemetry:telemetry/${THING}#${T0}`]);
    expect(await search('dóor')).toEqual([`telemetry:telemetry/boiler-1#${T0 + 2000}`]);
  });

  it('needs every term, each in any field', async () => {
    expect(await search('leakage kitchen')).toEqual([`telemetry:telemetry/${THING}#${T0}`]);
    expect(await search('leakage basement')).toEqual([]);
  });

  it('ranks the best match first', async () => {
    await index().upsertTelemetry([aTelemetryDocument({ epoch: T0 + 5000, label: undefined, text: 'status ok, the boiler in the basement reported nothing unusual today' })]);
    const ranked = await index().search(WORKSPACE, aQuery('boiler'));
    expect(keys(ranked.items)[0]).toBe('device:boiler-1');
    const scores = ranked.items.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('narrows by kind and by thing name', async () => {
    expect(await search('kitchen', { kind: 'device' })).toEqual([`device:${THING}`]);
    expect((await search('kitchen', { kind: 'telemetry' })).sort()).toEqual(
      [`telemetry:telemetry/${THING}#${T0}`, `telemetry:telemetry/${THING}#${T0 + 1000}`].sort(),
    );
    expect(await search('door', { thingName: 'boiler-1' })).toEqual([`telemetry:telemetry/boiler-1#${T0 + 2000}`]);
    expect(await search('door', { thingName: THING })).toEqual([]);
    expect(await search('kitchen', { thingName: 'boiler-1' })).toEqual([]);
  });

  it('narrows by an inclusive epoch range, which leaves devices out (they have no time)', async () => {
    expect(await search('kitchen', { from: T0 + 1000 })).toEqual([`telemetry:telemetry/${THING}#${T0 + 1000}`]);
    expect(await search('kitchen', { to: T0 })).toEqual([`telemetry:telemetry/${THING}#${T0}`]);
    expect(await search('kitchen', { from: T0 + 1, to: T0 + 999 })).toEqual([]);
  });
}

function userTextContract(open: () => Promise<SearchIndexHarness>): void {
  const store = fresh(open);
  const index = () => store().index;

  beforeEach(async () => {
    await index().upsertTelemetry([aTelemetryDocument({ text: 'NOT a NEAR miss: valve "open"' })]);
  });

  it.each(['"', '""', '*', '(', ')', '^', ':', '-', '+', '"*:^()-', '   ', ''])('answers %p, which has no term, with nothing', async (text) => {
    expect(await index().search(WORKSPACE, aQuery(text))).toEqual({ items: [] });
  });

  it.each(['valve"', 'valve*', 'leakage:valve', '^valve', 'valve)', '(valve', 'NEAR(valve', 'valve NOT', '"valve', 'valve -open', '{valve}'])(
    'reads query syntax in %p as plain text',
    async (text) => {
      expect((await index().search(WORKSPACE, aQuery(text))).items).toHaveLength(1);
    },
  );

  it('treats the words NOT and NEAR as terms, not operators', async () => {
    expect(keys((await index().search(WORKSPACE, aQuery('NOT valve'))).items)).toHaveLength(1);
    expect(keys((await index().search(WORKSPACE, aQuery('near miss'))).items)).toHaveLength(1);
    expect((await index().search(WORKSPACE, aQuery('NOT kitchen'))).items).toEqual([]);
  });

  it('rejects a cursor it did not issue as a bad request', async () => {
    for (const cursor of ['nonsense', Buffer.from('[1,"x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      await expect(index().search(WORKSPACE, aQuery('valve', { cursor }))).rejects.toMatchObject({ code: 'bad_request' });
      await expect(index().search(WORKSPACE, aQuery('valve', { cursor }))).rejects.toBeInstanceOf(AppError);
    }
  });
}

function pagingContract(open: () => Promise<SearchIndexHarness>): void {
  const store = fresh(open);
  const index = () => store().index;

  it('pages through every hit once, in the order of one big page, with no cursor after the last', async () => {
    await index().upsertTelemetry(
      Array.from({ length: 7 }, (_, i) => aTelemetryDocument({ epoch: T0 + i, text: i % 2 === 0 ? 'valve valve' : 'valve' })),
    );
    await index().upsertDevices([aDevice({ thingName: 'valve-1', name: 'Valve' }), aDevice({ thingName: 'valve-2', name: 'Valve' })]);
    const all = await index().search(WORKSPACE, aQuery('valve', { limit: 100 }));
    expect(all.items).toHaveLength(9);
    expect(all.next).toBeUndefined();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await index().search(WORKSPACE, aQuery('valve', { limit: 2, ...(cursor === undefined ? {} : { cursor }) }));
      seen.push(...keys(page.items));
      cursor = page.next;
      pages += 1;
    } while (cursor !== undefined && pages < 20);
    expect(pages).toBe(5);
    expect(seen).toEqual(keys(all.items));
  });

  it('gives no cursor when the page holds exactly the last hits', async () => {
    await index().upsertDevices([aDevice({ thingName: 'valve-1', name: 'Valve' }), aDevice({ thingName: 'valve-2', name: 'Valve' })]);
    expect(await index().search(WORKSPACE, aQuery('valve', { limit: 2 }))).toEqual({ items: expect.any(Array) });
  });
}
