import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { created, failure, mockElastic, type RecordedRequest } from './support/elastic-mock.js';
import { SEARCH_WORKSPACE, startIndexer, waitFor, type RunningIndexer } from './support/indexer-service.fixture.js';
// The hub's real writer, so the indexer reads exactly what ingest commits (test-only cross-service import).
import { SqliteTelemetryRepository, TELEMETRY_MIGRATIONS } from '../../iot-hub/src/adapters/sqlite/telemetry.repository.js';

// MOCKED: the indexer service with CITUS_SEARCH=elasticsearch and the embedded change feed, its
// Elasticsearch client injected with @elastic/elasticsearch-mock (no cluster runs here). The feed,
// the hub's telemetry.db, the HTTP route and the service wiring are real; the cluster's answers are
// canned, so these tests pin what reaches Elasticsearch and how its answers reach the API.

const T0 = Date.UTC(2025, 0, 1, 12);
const ENV = { CITUS_SEARCH: 'elasticsearch', ELASTICSEARCH_URL: 'http://127.0.0.1:9200' };

type Bulk = Array<Record<string, unknown>>;

let dataDir: string;
let hubDb: SqliteDatabase;
let hub: SqliteTelemetryRepository;
let running: RunningIndexer | undefined;
let cluster: ReturnType<typeof mockCluster>;

/** A cluster whose indices exist and that accepts every bulk write; `down` makes it answer 503 to everything. */
function mockCluster() {
  const { mock, client, requests, record } = mockElastic();
  const state = { down: false };
  const unlessDown = (answer: (request: RecordedRequest) => Record<string, unknown> | string) =>
    record((request) => (state.down ? failure(503, 'master_not_discovered_exception') : answer(request)));
  mock.add({ method: 'PUT', path: '/_index_template/:name' }, unlessDown(() => created));
  mock.add({ method: 'HEAD', path: ['/citus-telemetry', '/citus-devices'] }, unlessDown(() => ''));
  mock.add(
    { method: 'POST', path: '/_bulk' },
    unlessDown((request) => ({
      errors: false,
      items: operations(request).map(({ action }) => ({ index: { _index: action._index, _id: action._id, status: 201 } })),
    })),
  );
  mock.add({ method: 'DELETE', path: '/citus-devices/_doc/:id' }, unlessDown(() => ({ result: 'deleted' })));
  return { mock, client, requests, state, unlessDown };
}

/** The bulk request's (action, document) pairs. */
function operations(request: RecordedRequest): Array<{ action: { _index: string; _id: string }; document: Record<string, unknown> }> {
  const body = request.body as Bulk;
  const pairs = [];
  for (let i = 0; i < body.length; i += 2) {
    pairs.push({ action: (body[i] as { index: { _index: string; _id: string } }).index, document: body[i + 1] as Record<string, unknown> });
  }
  return pairs;
}

const bulkRequests = () => cluster.requests.filter((request) => request.path === '/_bulk');
const indexed = (index: string) => bulkRequests().flatMap(operations).filter(({ action }) => action._index === index);

function store(thingName: string, epoch: number, document: Record<string, unknown>): void {
  const payload = JSON.stringify(document);
  hub.write([{ record: { topic: `telemetry/${thingName}`, thingName, workspaceId: SEARCH_WORKSPACE, deviceEpoch: epoch, receivedAt: Date.now(), payload } }]);
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'citus-indexer-es-'));
  hubDb = openDatabase(join(dataDir, 'telemetry.db'), { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
  hub = new SqliteTelemetryRepository(hubDb);
  cluster = mockCluster();
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
  hubDb.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = async () => (running = await startIndexer({ env: ENV, dataDir, searchClient: cluster.client }));

describe('the indexer service with Elasticsearch (mocked) and the embedded change feed', () => {
  it('sends stored telemetry to Elasticsearch as bulk requests, once its templates and indices are in place', async () => {
    store('boiler-1', T0, { label: 'Leakage', unit: 'PPM', value: 412.5 });
    store('boiler-2', T0 + 1, { status: 'door open' });
    const { module, health } = await start();
    expect(health.report().body.parts).toMatchObject({ indexer: true });
    store('boiler-1', T0 + 2, { label: 'Leakage', unit: 'PPM', value: 9 });
    await waitFor(() => indexed('citus-telemetry').length >= 3, 'three telemetry documents in bulk requests');

    const firstBulk = cluster.requests.findIndex((request) => request.path === '/_bulk');
    expect(cluster.requests.slice(0, firstBulk).map((request) => `${request.method} ${request.path}`)).toEqual([
      'PUT /_index_template/citus-telemetry',
      'PUT /_index_template/citus-devices',
      'HEAD /citus-telemetry',
      'HEAD /citus-devices',
    ]);
    expect(indexed('citus-telemetry')).toEqual([
      {
        action: { _index: 'citus-telemetry', _id: `${SEARCH_WORKSPACE}#telemetry/boiler-1#${T0}` },
        document: {
          id: `telemetry/boiler-1#${T0}`,
          key: `telemetry#telemetry/boiler-1#${T0}`,
          workspaceId: SEARCH_WORKSPACE,
          thingName: 'boiler-1',
          topic: 'telemetry/boiler-1',
          epoch: T0,
          label: 'Leakage',
          unit: 'PPM',
          value: 412.5,
          text: 'Leakage PPM',
        },
      },
      expect.objectContaining({ document: expect.objectContaining({ thingName: 'boiler-2', text: 'door open' }) }),
      expect.objectContaining({ document: expect.objectContaining({ epoch: T0 + 2, value: 9 }) }),
    ]);
    await waitFor(() => module.indexer.stats().records === 3, 'the counts');
    expect(module.indexer.stats()).toMatchObject({ records: 3, failedBatches: 0 });
    expect(module.indexer.lagMs()).toBe(0);
  });

  it('answers GET /api/v1/search from Elasticsearch, scoped to the caller’s workspace', async () => {
    cluster.mock.add(
      { method: 'POST', path: '/:index/_search' },
      cluster.unlessDown(() => ({
        hits: {
          hits: [
            { _index: 'citus-devices', _score: 4, sort: [4, 'device#boiler-1'], _source: { workspaceId: SEARCH_WORKSPACE, thingName: 'boiler-1', name: 'Cellar boiler', key: 'device#boiler-1', text: 'boiler-1' } },
            {
              _index: 'citus-telemetry',
              _score: 2,
              sort: [2, `telemetry#telemetry/boiler-1#${T0}`],
              _source: { id: `telemetry/boiler-1#${T0}`, workspaceId: SEARCH_WORKSPACE, thingName: 'boiler-1', topic: 'telemetry/boiler-1', epoch: T0, label: 'Leakage', unit: 'PPM', value: 412.5, text: 'Leakage PPM', key: 'k' },
            },
          ],
        },
      })),
    );
    const { search } = await start();
    const { status, body } = await search({ q: 'boiler leakage', limit: '5' });
    expect(status).toBe(200);
    expect(body).toEqual({
      items: [
        { kind: 'device', score: 4, device: { thingName: 'boiler-1', name: 'Cellar boiler' } },
        { kind: 'telemetry', score: 2, telemetry: { thingName: 'boiler-1', topic: 'telemetry/boiler-1', epoch: T0, label: 'Leakage', unit: 'PPM', value: 412.5 } },
      ],
    });
    const searches = cluster.requests.filter((request) => request.path.endsWith('/_search'));
    expect(searches).toHaveLength(1);
    expect(searches[0]).toMatchObject({
      path: '/citus-telemetry,citus-devices/_search',
      body: { query: { bool: { filter: [{ term: { workspaceId: SEARCH_WORKSPACE } }], must: { multi_match: { query: 'boiler leakage' } } } }, size: 6 },
    });
  });

  it('indexes registry events: a burst of device changes in one bulk request, a deleted thing’s device removed', async () => {
    const { events } = await start();
    for (const thingName of ['pump-1', 'pump-2', 'pump-3']) {
      events.emit('device.changed', { workspaceId: SEARCH_WORKSPACE, thingName, name: `Pump ${thingName}`, type: 'pump', location: null });
    }
    await waitFor(() => indexed('citus-devices').length === 3, 'the devices');
    expect(bulkRequests()).toHaveLength(1);
    expect(indexed('citus-devices')[0]).toEqual({
      action: { _index: 'citus-devices', _id: `${SEARCH_WORKSPACE}#pump-1` },
      document: { workspaceId: SEARCH_WORKSPACE, thingName: 'pump-1', name: 'Pump pump-1', type: 'pump', key: 'device#pump-1', text: 'pump-1 pump' },
    });
    events.emit('thing.deleted', { workspaceId: SEARCH_WORKSPACE, thingName: 'pump-2' });
    await waitFor(() => cluster.requests.some((request) => request.method === 'DELETE'), 'the removal');
    expect(cluster.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/citus-devices/_doc/${SEARCH_WORKSPACE}#pump-2` });
  });

  it('starts while Elasticsearch is unavailable: searches answer 503, nothing is written before the indices, and indexing catches up', async () => {
    cluster.state.down = true;
    cluster.mock.add({ method: 'POST', path: '/:index/_search' }, cluster.unlessDown(() => ({ hits: { hits: [] } })));
    store('boiler-1', T0, { label: 'Leakage' });
    const { module, health, search } = await start();
    expect(health.report().body.parts).toMatchObject({ indexer: true });

    const refused = await search({ q: 'leakage' });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'unavailable' });
    await waitFor(() => module.indexer.stats().failedBatches >= 2, 'failed attempts');
    // Only attempts at the first template: no write to an index that might not exist.
    expect(new Set(cluster.requests.map((request) => `${request.method} ${request.path}`))).toEqual(new Set(['PUT /_index_template/citus-telemetry']));
    expect(module.indexer.lagMs()).toBeGreaterThan(0);

    cluster.state.down = false;
    await waitFor(() => indexed('citus-telemetry').length === 1, 'the document once the cluster answers');
    expect(indexed('citus-telemetry')[0]?.document).toMatchObject({ thingName: 'boiler-1', label: 'Leakage' });
    expect((await search({ q: 'leakage' })).status).toBe(200);
  });
});
